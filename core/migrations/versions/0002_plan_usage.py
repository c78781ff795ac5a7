"""Purchased vs assigned seats per plan (plan_usage), recorded per successful sync run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:42:24.321185
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan", sa.String(length=600), nullable=False),
        sa.Column("license_type", sa.String(length=600), nullable=True),
        sa.Column("purchased", sa.Integer(), nullable=True),
        sa.Column("assigned", sa.Integer(), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connection.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_usage", schema=None) as batch_op:
        batch_op.create_index("ix_plan_usage_connection_observed", ["connection_id", "observed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_usage_connection_observed")

    op.drop_table("plan_usage")
