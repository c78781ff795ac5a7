"""A seat's state is compared column by column in SQL: seat.state_hash goes, seat.extras become canonical JSON.

A sync used to store a digest of each seat's state and compare digests. It now compares the stored columns
themselves, extras as text, so extras are rewritten here as canonical JSON (keys sorted), the text a sync
stages. Their values do not change, so the next sync finds unchanged seats unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-20 10:00:00
"""

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from seatkeeper import jsontext
from seatkeeper.models import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000  # seats read and rewritten at a time: memory stays flat however large the history

# The columns of the digest 0005's code stored, in its order (created_at last but extras).
_DIGESTED = ("user_id", "email", "name", "license_type", "billable", "status", "department", "role", "created_at")
_seat = sa.table(
    "seat",
    sa.column("id", sa.Integer),
    *(sa.column(name, sa.Boolean if name == "billable" else sa.String) for name in _DIGESTED[:-1]),
    sa.column("created_at", UTCDateTime),
    sa.column("extras", sa.Text),
    sa.column("state_hash", sa.String),
)


def _text(name: str) -> sa.ColumnElement:
    """A JSON column read as the text it holds (psycopg would decode it)."""
    return sa.cast(_seat.c[name], sa.Text).label(name)


def _batches(bind: sa.Connection, *columns: str):
    """The seats' ``columns`` (after the id), a batch at a time, in id order."""
    last = 0
    while True:
        rows = bind.execute(
            sa.select(_seat.c.id, *(_text(name) if name == "extras" else _seat.c[name] for name in columns))
            .where(_seat.c.id > last)
            .order_by(_seat.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    cast = (lambda text: text) if bind.dialect.name == "sqlite" else (lambda text: sa.cast(text, sa.JSON))
    rewrite = sa.update(_seat).where(_seat.c.id == sa.bindparam("seat")).values(extras=cast(sa.bindparam("text")))
    for rows in _batches(bind, "extras"):
        changed = []
        for row in rows:
            text = jsontext.canonical(json.loads(row.extras)) if row.extras is not None else None
            if text != row.extras:
                changed.append({"seat": row.id, "text": text})
        if changed:
            bind.execute(rewrite, changed)
    if bind.dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        with op.batch_alter_table("seat") as batch_op:  # no DROP COLUMN before SQLite 3.35: a table copy
            batch_op.drop_column("state_hash")
    else:
        op.execute("ALTER TABLE seat DROP COLUMN state_hash")


_digest_text = jsontext.Encoder(sort_keys=True, ensure_ascii=False)


def _digest(row: sa.Row) -> str:
    """0005's state digest of a stored seat: its state fields and extras as sorted JSON, BLAKE2b of 16 bytes."""
    state = [getattr(row, name) for name in _DIGESTED] + [json.loads(row.extras) if row.extras else {}]
    if isinstance(state[-2], datetime):
        state[-2] = state[-2].isoformat()
    return hashlib.blake2b(_digest_text(state).encode(), digest_size=16).hexdigest()


def downgrade() -> None:
    with op.batch_alter_table("seat") as batch_op:
        batch_op.add_column(sa.Column("state_hash", sa.String(length=64), nullable=False, server_default=""))
    bind = op.get_bind()
    fill = sa.update(_seat).where(_seat.c.id == sa.bindparam("seat")).values(state_hash=sa.bindparam("digest"))
    for rows in _batches(bind, *_DIGESTED, "extras"):
        bind.execute(fill, [{"seat": row.id, "digest": _digest(row)} for row in rows])
    with op.batch_alter_table("seat") as batch_op:
        batch_op.alter_column("state_hash", server_default=None)
