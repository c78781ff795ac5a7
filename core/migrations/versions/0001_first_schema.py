"""First schema: connections, sync runs, seat intervals and monthly seat activity.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 17:38:45.294623
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "seat_activity",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("seat_key", sa.String(length=600), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection.id"],
        ),
        sa.PrimaryKeyConstraint("connection_id", "seat_key", "month"),
    )
    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index("ix_sync_run_connection_started", ["connection_id", "started_at"], unique=False)

    op.create_table(
        "seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("seat_key", sa.String(length=600), nullable=False),
        sa.Column("user_id", sa.String(length=600), nullable=True),
        sa.Column("email", sa.String(length=600), nullable=True),
        sa.Column("name", sa.String(length=600), nullable=True),
        sa.Column("license_type", sa.String(length=600), nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=600), nullable=True),
        sa.Column("role", sa.String(length=600), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by_run", sa.Integer(), nullable=True),
        sa.Column("closed_by_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_run"],
            ["sync_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection.id"],
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_run"],
            ["sync_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("seat", schema=None) as batch_op:
        batch_op.create_index("ix_seat_connection_key", ["connection_id", "seat_key", "seen_from"], unique=False)
        batch_op.create_index("ix_seat_connection_open", ["connection_id", "seen_until"], unique=False)
        batch_op.create_index("ix_seat_email", ["email"], unique=False)
        batch_op.create_index("ix_seat_interval", ["seen_from", "seen_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seat", schema=None) as batch_op:
        batch_op.drop_index("ix_seat_interval")
        batch_op.drop_index("ix_seat_email")
        batch_op.drop_index("ix_seat_connection_open")
        batch_op.drop_index("ix_seat_connection_key")

    op.drop_table("seat")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_connection_started")

    op.drop_table("sync_run")
    op.drop_table("seat_activity")
    op.drop_table("connection")
