"""What a report looks up per seat and per unmatched account is stored as it is looked up.

- ``person.folded_name``: each person's name as :func:`seatkeeper.people.stored_folded_name` folds it, indexed.
  A report offers the people whose folded name an unmatched account may be; it found them by folding every name
  of the directory, and now asks the index for them. Existing people are filled in here.
- ``seat_activity`` becomes a table without rowid in SQLite: the table is then its primary key's own index, so
  a seat's latest month is one search, not one in the key's index and one in the table (PostgreSQL keeps it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-21 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from seatkeeper.people import stored_folded_name

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000  # people read and written at a time: memory stays flat however large the directory

_person = sa.table("person", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("folded_name"))


def upgrade() -> None:
    op.add_column("person", sa.Column("folded_name", sa.String(length=600), nullable=True))
    bind = op.get_bind()
    fill = sa.update(_person).where(_person.c.id == sa.bindparam("person")).values(folded_name=sa.bindparam("folded"))
    last = 0
    while rows := bind.execute(
        sa.select(_person.c.id, _person.c.name)
        .where(_person.c.id > last, _person.c.name.is_not(None))
        .order_by(_person.c.id)
        .limit(BATCH)
    ).all():
        bind.execute(fill, [{"person": row.id, "folded": stored_folded_name(row.name)} for row in rows])
        last = rows[-1].id
    op.create_index("ix_person_folded_name", "person", ["folded_name"])
    if bind.dialect.name == "sqlite":
        _rebuild_activity(with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_activity(with_rowid=True)
    op.drop_index("ix_person_folded_name", table_name="person")
    with op.batch_alter_table("person") as batch_op:  # no DROP COLUMN before SQLite 3.35: a table copy
        batch_op.drop_column("folded_name")


def _rebuild_activity(*, with_rowid: bool) -> None:
    """Copy ``seat_activity`` into a table of the same columns, with or without rowid, in key order."""
    op.create_table(
        "seat_activity_rebuilt",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("seat_key", sa.String(length=600), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"]),
        sa.PrimaryKeyConstraint("connection_id", "seat_key", "month"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(
        "INSERT INTO seat_activity_rebuilt (connection_id, seat_key, month, last_activity_at)"
        " SELECT connection_id, seat_key, month, last_activity_at FROM seat_activity"
        " ORDER BY connection_id, seat_key, month"
    )
    op.drop_table("seat_activity")
    op.rename_table("seat_activity_rebuilt", "seat_activity")
