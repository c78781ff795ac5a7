"""Fixtures of the reliability tests: databases (see tests/conftest.py) and a clean reference sync."""

from __future__ import annotations

import pytest

from seatkeeper import db

from .cli_kit import run_cli
from .kit import current_seats, fast_provider, seeded_zoom, sync_zoom


@pytest.fixture
def sqlite_engine(tmp_path):
    """An engine on a fresh SQLite file."""
    engine = db.open_engine(f"sqlite:///{tmp_path / 'seatkeeper.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def clean_seats(tmp_path_factory):
    """The seats a clean sync of the standard test account stores: what every survived fault must match."""
    engine = db.open_engine(f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.db'}")
    try:
        with seeded_zoom() as zoom:
            result = sync_zoom(engine, zoom, fast_provider())
        assert result.ok, result.error
        return current_seats(engine)
    finally:
        engine.dispose()


@pytest.fixture
def seatkeeper_cli(monkeypatch, capsys):
    """``seatkeeper_cli(provider, *args)``: the real CLI in-process, ``provider`` its only plugin -> Outcome."""
    return lambda provider, *args: run_cli(monkeypatch, capsys, provider, *args)
