"""The command line is the composition root: core imports neither it nor the reports, and its help loads neither
the reports nor Jinja2 (so ``seatkeeper --help`` starts fast; the figure is in the report, not a test)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REPORTS = {"jinja2", "seatkeeper.reports.build", "seatkeeper.reports.render"}
ENGINE = {"seatkeeper.sync", "seatkeeper.store", "seatkeeper.models", "seatkeeper.db"}


def modules_loaded_by(args: list[str]) -> tuple[int, set[str], str]:
    """Run ``seatkeeper ARGS`` in a fresh interpreter; return its exit code, the modules it had loaded, its stdout."""
    probe = (
        "import json, sys\n"
        "from seatkeeper.cli import main\n"
        "code = 0\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "sys.stderr.write(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO)
    code, modules = json.loads(done.stderr.strip().splitlines()[-1])
    return code, set(modules), done.stdout


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"]])
def test_the_apps_help_loads_neither_the_reports_nor_jinja2_nor_the_engine(args):
    code, modules, out = modules_loaded_by(args)
    assert code == 0
    assert out.strip()
    assert not modules & (REPORTS | ENGINE), sorted(modules & (REPORTS | ENGINE))


@pytest.mark.parametrize("args", [["sync", "--help"], ["licenses", "-h"], ["runs", "-h"]])
def test_a_commands_help_loads_neither_the_reports_nor_jinja2(args):
    code, modules, out = modules_loaded_by(args)
    assert code == 0
    assert "--" in out
    assert not modules & REPORTS, sorted(modules & REPORTS)


def test_the_report_command_is_loaded_when_it_runs():
    code, modules, out = modules_loaded_by(["report", "--help"])
    assert code == 0
    assert "--month" in out and "--template-dir" in out
    assert "seatkeeper.reports.command" in modules


def test_each_command_listed_in_the_help_has_its_docstring_first_line(capsys):
    """The app's help lists commands before their modules load: its lines must stay the commands' own."""
    from seatkeeper.cli.lazy import COMMANDS, LazyGroup

    group = LazyGroup(name="seatkeeper")
    for name, (_, _, listed) in COMMANDS.items():
        real = group.get_command(None, name).real()
        assert (real.help or "").strip().splitlines()[0] == listed, name


def imports_of(path: Path) -> set[str]:
    """Absolute names of the seatkeeper modules ``path`` imports (relative imports resolved inside core)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "seatkeeper." * (node.level > 0) + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}".replace("..", ".") for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((REPO / "core").glob("*.py")), ids=lambda path: path.name)
def test_core_imports_neither_the_cli_nor_the_reports(path):
    if path.name in ("__main__.py", "pytest_plugin.py"):  # `python -m seatkeeper`; the kit that runs the CLI
        return
    wrong = {name for name in imports_of(path) if name.startswith(("seatkeeper.cli", "seatkeeper.reports"))}
    assert not wrong, wrong


def test_version_and_short_help(cli_run):
    code, out, _ = cli_run("--version")
    assert code == 0
    assert out.strip() == f"seatkeeper {__import__('importlib.metadata').metadata.version('seatkeeper')}"
    code, out, _ = cli_run("-h")
    assert code == 0 and "licenses" in out and "connections" in out
    code, out, _ = cli_run("sync", "-h")
    assert code == 0 and "--allow-shrink" in out and "--jobs" in out
