"""People of directory connections, as intervals (table person), like seats.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=600), nullable=False),
        sa.Column("person_id", sa.String(length=600), nullable=True),
        sa.Column("email", sa.String(length=600), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=600), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("department", sa.String(length=600), nullable=True),
        sa.Column("cost_center", sa.String(length=600), nullable=True),
        sa.Column("job_title", sa.String(length=600), nullable=True),
        sa.Column("manager_email", sa.String(length=600), nullable=True),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("seen_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by_run", sa.Integer(), nullable=True),
        sa.Column("closed_by_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connection.id"]),
        sa.ForeignKeyConstraint(["opened_by_run"], ["sync_run.id"]),
        sa.ForeignKeyConstraint(["closed_by_run"], ["sync_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_connection_key", "person", ["connection_id", "person_key", "seen_from"])
    op.create_index("ix_person_interval", "person", ["seen_from", "seen_until"])
    op.create_index("ix_person_email", "person", ["email"])
    op.create_index(
        "ux_person_open",
        "person",
        ["connection_id", "person_key"],
        unique=True,
        sqlite_where=sa.text("seen_until IS NULL"),
        postgresql_where=sa.text("seen_until IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("person")
