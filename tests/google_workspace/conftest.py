"""Keep the machine's Google Workspace settings out of these tests (tests/conftest.py does it for SEATKEEPER_*)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_google_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("GOOGLE_WORKSPACE_") or name == "GOOGLE_APPLICATION_CREDENTIALS":
            monkeypatch.delenv(name, raising=False)
