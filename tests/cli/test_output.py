"""What reaches the terminal: plain tab-separated text in a pipe, a table within 120 columns on a terminal, and
never a control character from stored data (a seat's name could otherwise clear the screen or retitle the window)."""

from __future__ import annotations

import json
import re

import pytest

from tests.throwaway_plugin import Rejected, user

BOX_DRAWING = re.compile("[\u2500-\u257f]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # the terminal table's own bold header
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# ESC[2J clears the screen; OSC 0 sets the window title; OSC 8 is a hyperlink; CSI as one C1 byte; a BEL.
HOSTILE_NAME = "Eve\x1b[2J\x1b]0;owned\x07"
HOSTILE_DEPARTMENT = "\x1b]8;;https://evil.example/\x1b\\Payroll\x1b]8;;\x1b\\\x9b31m\x08"


@pytest.fixture
def terminal(monkeypatch):
    """Make stdout count as a terminal COLUMNS wide (rich reads both variables when it prints)."""

    def be(columns: int) -> None:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
        monkeypatch.setenv("COLUMNS", str(columns))

    return be


def test_piped_table_is_tab_separated_with_a_header(cli_run, provider):
    provider.users = [user(1), user(2, license_type="Basic", billable=False)]
    assert cli_run("sync").exit_code == 0
    code, out, _ = cli_run("licenses")
    assert code == 0
    assert not BOX_DRAWING.search(out)
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0] == ["email", "name", "connection", "license_type", "billable", "status", "last_activity_at"]
    assert [line[0] for line in lines[1:]] == ["user1@example.com", "user2@example.com"]  # cut -f1
    assert lines[2][3:5] == ["Basic", "no"]
    assert all(len(line) == len(lines[0]) for line in lines)
    code, out, _ = cli_run("licenses", "--wide")
    assert out.splitlines()[0].split("\t") == [
        "provider",
        "connection",
        "user_id",
        "email",
        "name",
        "license_type",
        "billable",
        "status",
        "department",
        "role",
        "last_activity_at",
        "application",
    ]


def test_terminal_table_fits_120_columns_email_first_and_wide_shows_all(cli_run, provider, terminal):
    provider.users = [user(1, email=f"{'q' * 60}@example.com", name="w" * 60, department="Research and Development")]
    assert cli_run("sync").exit_code == 0
    terminal(230)  # the wide table has twelve columns
    code, out, _ = cli_run("licenses")
    assert code == 0
    lines = SGR.sub("", out).splitlines()
    header = next(line for line in lines if "email" in line)
    assert header.split()[0] == "email"
    assert max(len(line) for line in lines) <= 120
    assert "department" not in out
    code, out, _ = cli_run("licenses", "--wide")
    text = SGR.sub("", out)
    assert "department" in text and "user id" in text and "Research and Development" in text
    assert "…" not in text  # --wide does not cut values short: it folds them onto more lines
    assert (text.count("q"), text.count("w")) == (60, 60)


def test_control_characters_in_stored_data_never_reach_the_terminal(cli_run, provider, terminal, write_config):
    write_config("[connections.\"acme\\u001b[2J\"]\nprovider = 'listprovider'\ntoken_env = 'LISTPROVIDER_TOKEN'\n")
    provider.users = [
        user(1, name=HOSTILE_NAME, department=HOSTILE_DEPARTMENT),
        Rejected(reason=f"bad record for {HOSTILE_NAME}"),
    ]
    code, out, err = cli_run("sync", "acme\x1b[2J")
    assert code == 0, err
    assert "acme\\x1b[2J: 1 seats" in out  # the sync summary
    assert "Eve\\x1b[2J\\x1b]0;owned\\x07" in err  # the rejected record's note
    outputs = [out, err]

    for args in (["licenses"], ["licenses", "--wide"], ["runs"], ["connections"]):
        outputs += cli_run(*args)[1:]
    piped_csv = cli_run("licenses", "--format", "csv").stdout
    assert HOSTILE_NAME in piped_csv  # data for a program, not a terminal: kept as stored
    terminal(200)
    for args in (["licenses", "--wide"], ["runs", "--wide"], ["connections"], ["licenses", "--format", "csv"]):
        code, table_out, table_err = cli_run(*args)
        assert code == 0, table_err
        outputs += [SGR.sub("", table_out), table_err]
    code, _, error_line = cli_run("licenses", "--connection", "\x1b]0;owned\x07")  # an error naming the input
    assert code == 2 and "no connection named '\\x1b]0;owned\\x07'" in error_line
    outputs.append(error_line)

    for text in outputs:
        assert not CONTROL.search(text), repr(text)
    shown = "".join(outputs)
    assert "Eve\\x1b[2J\\x1b]0;owned\\x07" in shown  # shown, visibly, not dropped
    assert "\\x9b31m" in shown


def test_json_escapes_every_control_character_and_keeps_the_value(cli_run, provider):
    provider.users = [user(1, name=HOSTILE_NAME, department=HOSTILE_DEPARTMENT)]
    assert cli_run("sync").exit_code == 0
    code, out, _ = cli_run("licenses", "--format", "json")
    assert not CONTROL.search(out)
    [seat] = json.loads(out)
    assert (seat["name"], seat["department"]) == (HOSTILE_NAME, HOSTILE_DEPARTMENT)
