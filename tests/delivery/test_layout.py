"""The delivery commands load the reports (and Jinja2) only when they run, not for their help."""

from __future__ import annotations

import pytest

from tests.cli.test_layout import REPORTS, modules_loaded_by


@pytest.mark.parametrize("command", ["notify", "run"])
def test_the_help_of_notify_and_run_loads_neither_the_reports_nor_jinja2(command):
    code, modules, out = modules_loaded_by([command, "--help"])
    assert code == 0
    assert "--month" in out
    assert not modules & (REPORTS | {"seatkeeper.reports.delivery", "smtplib"}), sorted(modules & REPORTS)
