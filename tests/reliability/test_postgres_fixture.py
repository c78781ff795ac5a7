"""The PostgreSQL fixture of tests/conftest.py: an unreachable server skips the store tests on a developer's
machine, and fails them in CI (``CI`` set), where .ci/run starts the server first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("postgres_probe.py").relative_to(REPO)
CLOSED_PORT_URL = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def run_probe(**environment: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name != "CI"}
    env.update(SEATKEEPER_TEST_POSTGRES_URL=CLOSED_PORT_URL, **environment)
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(PROBE), "-q", "-rs", "-p", "no:randomly"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")], ids=["developer", "CI"])
def test_unreachable_postgres_skips_locally_and_fails_in_ci(ci, outcome):
    result = run_probe(**({"CI": ci} if ci else {}))
    assert outcome in result.stdout, result.stdout + result.stderr
    assert "PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:1/test is not reachable" in result.stdout
    if ci:
        assert result.returncode != 0 and "CI requires it; .ci/run should have started it" in result.stdout
    else:
        assert result.returncode == 0


def test_ci_script_starts_postgres_when_it_is_not_running():
    script = (REPO / ".ci" / "run").read_text()
    start = script.index("if ! pg_isready -q -h 127.0.0.1 -p 5432; then")
    assert "pg_ctlcluster" in script[start:] and "start" in script[start:]
    assert script.index("== PostgreSQL") < script.index("python -m pytest")
