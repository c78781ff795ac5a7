"""Alembic environment: runs on the connection seatkeeper hands over (see seatkeeper.db.upgrade)."""

from alembic import context

from seatkeeper.models import metadata

config = context.config


def run_migrations_online() -> None:
    """Run migrations on the connection passed in ``config.attributes`` (or one built from the URL)."""
    connection = config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table copies for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
