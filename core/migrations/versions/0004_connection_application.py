"""Each connection tracks one application (the tool its seats are for), and may be retired.

connection.application: connections synced before have none until their next sync records it; readers fall back
to the provider's name. connection.retired_at: when the connection stopped being tracked (its seats closed then).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connection") as batch_op:
        batch_op.add_column(sa.Column("application", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connection") as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("application")
