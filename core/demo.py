"""``seatkeeper demo``: the main job over sample data that providers bundle, with no credentials.

Each provider that offers a demo (``Provider.demo``) yields snapshots of a sample account; the real sync
engine syncs them in order, clock pinned to each snapshot's date, into a fresh SQLite file, so the demo
database holds a few months of history exactly as real syncs would have built it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from . import db, paths
from .config import ConnectionConfig
from .errors import SeatkeeperError
from .plugins import Plugins
from .reports.generate import write_demo_reports
from .sync import sync_connection


@dataclass
class DemoOutcome:
    """What the demo produced: the database, one line per sync, and any files written."""

    database_path: Path
    ok: bool = True
    syncs: list[str] = field(default_factory=list)
    outputs: list[tuple[str, Path]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the demo database."""
        return f"sqlite:///{self.database_path}"


def fresh_database(directory: Path) -> Path:
    """An empty demo database file in ``directory`` (an earlier demo's file is replaced)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "seatkeeper-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def run_demo(plugins: Plugins, directory: Path | None = None, progress_console: Console | None = None) -> DemoOutcome:
    """Sync every provider's demo snapshots into a fresh demo database."""
    directory = directory or paths.data_dir() / "demo"
    outcome = DemoOutcome(fresh_database(directory))
    engine = db.open_engine(outcome.database_url)
    try:
        for name, provider in sorted(plugins.providers.items()):
            connection = ConnectionConfig(f"{name}-demo", name)
            with provider.demo() as snapshots:
                for snapshot in snapshots:
                    result = sync_connection(engine, connection, provider, snapshot.settings, now=snapshot.at)
                    when = snapshot.at.strftime("%Y-%m-%d")
                    if result.ok:
                        c = result.counts
                        outcome.syncs.append(
                            f"{connection.name} as of {when}: {c['seen']} seats "
                            f"({c['added']} added, {c['changed']} changed, {c['removed']} removed)"
                        )
                    else:
                        outcome.ok = False
                        outcome.syncs.append(f"{connection.name} as of {when}: FAILED: {result.error}")
        if not outcome.syncs:
            outcome.ok = False
            outcome.syncs.append("no installed provider offers demo data")
        else:
            try:
                outcome.outputs.extend(write_demo_reports(engine, directory))
            except SeatkeeperError as error:
                outcome.ok = False
                outcome.syncs.append(f"reports: FAILED: {error}")
    finally:
        engine.dispose()
    return outcome
