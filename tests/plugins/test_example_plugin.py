"""The example third-party plugin, pip-installed into a fresh virtual environment, works with no change to seatkeeper.

The venv sees this environment's packages (seatkeeper itself, its dependencies, pip, pytest) through a
``.pth`` file, so nothing is downloaded: ``pip install --no-deps --no-build-isolation --no-index``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "seatkeeper-example"
API_KEY = "example-demo-key"


def parent_site_dirs() -> list[str]:
    """This environment's site-packages folders (a venv's own, when the tests run inside one)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if Path(d).is_dir()]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A venv with the example plugin pip-installed from a copy of its source (the source tree stays clean)."""
    root = tmp_path_factory.mktemp("example-plugin")
    source = root / "seatkeeper-example"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    venv_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # addsitedir (not a bare path line) so the parent's own .pth files run too, e.g. seatkeeper's editable finder.
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in parent_site_dirs())
    (Path(venv_site) / "zz_parent_environment.pth").write_text(lines)
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(source)],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=120,
    )
    assert install.returncode == 0, install.stderr
    return env_dir


def run(venv: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Run ``python ARGS`` in the venv."""
    return subprocess.run(
        [venv / "bin" / "python", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_installed_plugin_is_listed_synced_and_reported(venv, tmp_path):
    env = {"SEATKEEPER_DATABASE_URL": f"sqlite:///{tmp_path / 'example.db'}", "EXAMPLE_API_KEY": API_KEY}

    providers = run(venv, "-m", "seatkeeper", "providers", env=env)
    assert providers.returncode == 0, providers.stderr
    [row] = [line for line in providers.stdout.splitlines() if line.startswith("example\t")]  # piped: tab-separated
    assert "seatkeeper-example" in row and "0.1.0" in row
    assert "api_key* (secret) [EXAMPLE_API_KEY]" in row and "data_file [EXAMPLE_DATA_FILE]" in row
    assert "failed to load" not in providers.stderr

    synced = run(venv, "-m", "seatkeeper", "sync", env=env)
    assert synced.returncode == 0, synced.stderr
    assert "example: 6 seats — 6 added" in synced.stdout

    listed = run(venv, "-m", "seatkeeper", "licenses", "--provider", "example", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    seats = json.loads(listed.stdout)
    assert len(seats) == 6 and {seat["connection"] for seat in seats} == {"example"}
    assert [s["email"] for s in seats if s["billable"]][:2] == ["ada@example.com", "alan@example.com"]
    assert API_KEY not in providers.stdout + synced.stdout + synced.stderr + listed.stdout

    month = datetime.now(UTC).strftime("%Y-%m")  # the month in progress holds the seats just synced
    report = run(venv, "-m", "seatkeeper", "report", "--month", month, "--format", "json", "--output", "-", env=env)
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    assert [provider["provider"] for provider in figures["providers"]] == ["example"]
    assert figures["totals"]["seats"] == 6
    assert figures["totals"]["billable"] == sum(1 for seat in seats if seat["billable"])
    html = tmp_path / "example.html"
    written = run(venv, "-m", "seatkeeper", "report", "--month", month, "--output", str(html), env=env)
    assert written.returncode == 0, written.stderr
    assert "example" in html.read_text(encoding="utf-8")
    assert API_KEY not in report.stdout + html.read_text(encoding="utf-8")


def test_installed_plugin_is_skipped_when_blocked(venv):
    listed = run(venv, "-m", "seatkeeper", "providers", env={"SEATKEEPER_BLOCK_PLUGINS": "example"})
    assert listed.returncode == 0
    assert not [line for line in listed.stdout.splitlines() if line.startswith("example\t")]


def test_plugin_runs_the_contract_kit_from_its_own_test_suite(venv, tmp_path):
    installed = run(venv, "-c", "import seatkeeper_example; print(seatkeeper_example.__file__)").stdout
    assert "site-packages" in installed  # the tests below import the installed package, not the source
    tests = next(venv.parent.glob("seatkeeper-example")) / "tests"
    result = run(venv, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(tests), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    # the contract checks came from the installed seatkeeper, the seatkeeper_sync fixture from its pytest plugin
    passed = re.findall(r"^PASSED [^:\s]+::(\S+)", result.stdout, flags=re.MULTILINE)
    assert "TestExampleChatContract::test_syncs_into_a_database" in passed
    assert "test_seatkeeper_sync_fixture_stores_the_team" in passed
