"""At most one open interval per seat: a partial unique index on seat (connection_id, seat_key) while open.

Before it, two syncs of one connection that did not see each other's lock could leave two open rows for a seat.
Such duplicates are mended first: the newest row of a seat stays open, the older ones close where it starts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE seat SET seen_until = (SELECT newest.seen_from FROM seat newest WHERE newest.id = ("
        " SELECT max(other.id) FROM seat other WHERE other.connection_id = seat.connection_id"
        " AND other.seat_key = seat.seat_key AND other.seen_until IS NULL))"
        " WHERE seen_until IS NULL AND id < (SELECT max(other.id) FROM seat other"
        " WHERE other.connection_id = seat.connection_id AND other.seat_key = seat.seat_key"
        " AND other.seen_until IS NULL)"
    )
    op.create_index(
        "ux_seat_open",
        "seat",
        ["connection_id", "seat_key"],
        unique=True,
        sqlite_where=sa.text("seen_until IS NULL"),
        postgresql_where=sa.text("seen_until IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_seat_open", table_name="seat")
