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


def test_every_notify_key_and_choice_is_documented():
    from pathlib import Path

    from seatkeeper.reports import notify_settings as ns

    docs = (Path(__file__).parents[2] / "docs" / "delivery.md").read_text(encoding="utf-8")
    keys = {*ns.EMAIL_KEYS, *(key for keys in ns.WEBHOOK_KEYS.values() for key in keys)}
    assert [key for key in sorted(keys) if f"\n{key} = " not in docs] == []
    choices = [*ns.SECURITY_PORTS, *ns.REPORT_PLACEMENTS, *ns.TEAMS_FORMATS]
    forms = ("`{}`", '"{}"', "{} (default)")
    assert [choice for choice in choices if not any(form.format(choice) in docs for form in forms)] == []
