"""Probing a SQLite file's write lock from a connection of its own, as another program would."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_lock_free(path: Path) -> bool:
    """Whether another program could start writing to the database file at ``path`` right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("begin immediate")
        other.execute("rollback")
        return True
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    finally:
        other.close()
