"""``seatkeeper run``: sync, write the report and send it, with the exit code of the worst outcome."""

from __future__ import annotations

import json

from seatkeeper import paths
from tests.delivery.conftest import LOCALHOST_ONLY, SMTP_PASSWORD, SMTP_USER, free_port
from tests.delivery.test_email import MONTH, email_config, parts
from tests.throwaway_plugin import SECRET, user

pytestmark = LOCALHOST_ONLY


def test_run_syncs_writes_the_report_and_mails_it(cli_run, provider, write_config, smtp_server):
    provider.users = [user(n) for n in range(1, 5)]
    write_config(email_config(smtp_server.port, security='"none"'))
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 0, err
    report_path = paths.data_dir() / "reports" / f"seatkeeper-{MONTH}.html"
    assert out.splitlines() == [
        "listprovider: 4 seats — 4 added, 0 changed, 0 removed, 0 unchanged",
        str(report_path),
        "email: sent to it@example.com, finance@example.com",
    ]
    [message] = smtp_server.mailbox.messages
    text, [(name, html)] = parts(message)
    assert "Billable seats: 4" in text and "Monthly cost: 50.00 EUR" in text
    assert html == report_path.read_text(encoding="utf-8")
    assert SECRET not in out + err + message.as_string()


def test_no_secret_reaches_the_output_the_mail_the_report_or_the_database(
    cli_run, provider, write_config, starttls_server, webhook_receiver, monkeypatch, tmp_path
):
    provider.users = [user(1)]
    hook = webhook_receiver.url("/services/T0/B0/hook-sekrit-path")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("TEST_SLACK_HOOK", hook)
    config = email_config(starttls_server.port, username=f'"{SMTP_USER}"', password_env='"TEST_SMTP_PASSWORD"')
    write_config(config + '[notify.slack]\nwebhook_url_env = "TEST_SLACK_HOOK"\n')
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 0, err
    [message] = starttls_server.mailbox.messages
    assert len(webhook_receiver.posts) == 1
    stored = (tmp_path / "cli.db").read_bytes() + (
        paths.data_dir() / "reports" / f"seatkeeper-{MONTH}.html"
    ).read_bytes()
    for secret in (SMTP_PASSWORD, hook, "hook-sekrit-path", SECRET):
        assert secret not in out + err + message.as_string() + json.dumps([body for _, body in webhook_receiver.posts])
        assert secret.encode() not in stored


def test_a_failed_sync_exits_1_and_the_mail_carries_the_alert(
    cli_run, provider, write_config, smtp_server, monkeypatch
):
    provider.users = [user(1)]
    assert cli_run("sync").exit_code == 0
    monkeypatch.setenv("LISTPROVIDER_TOKEN", "a-wrong-token")
    write_config(email_config(smtp_server.port, security='"none"'))
    code, _, err = cli_run("run", "--month", MONTH)
    assert code == 1
    assert "listprovider: sync failed" in err
    [message] = smtp_server.mailbox.messages
    assert message["Subject"].endswith("— 1 alert")
    text, _ = parts(message)
    assert "Read this first:\n- Sync: listprovider: the latest sync" in text


def test_a_delivery_failure_exits_1_after_the_report_is_written(cli_run, provider, write_config):
    provider.users = [user(1)]
    write_config(email_config(free_port(), security='"none"'))
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 1
    assert (paths.data_dir() / "reports" / f"seatkeeper-{MONTH}.html").exists()
    assert "cannot connect (Connection refused)" in err


def test_a_wrong_notify_table_exits_2_before_any_sync(cli_run, provider, write_config):
    provider.users = [user(1)]
    write_config("[notify.email]\nhost = 1\n")
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 2
    assert "host must be non-empty text" in err
    assert provider.fetches == 0


def test_a_wrong_month_exits_2_before_any_sync(cli_run, provider):
    provider.users = [user(1)]
    code, _, err = cli_run("run", "--month", "2026-13")
    assert code == 2 and "2026-13" in err
    assert provider.fetches == 0


def test_without_data_for_the_month_run_reports_the_error_and_exits_with_the_worst(cli_run, provider, write_config):
    provider.fail_after = 0  # the first sync fails: nothing was ever synced
    provider.users = [user(1)]
    code, _, err = cli_run("run", "--month", MONTH)
    assert code == 2  # the report's "no data" configuration error outranks the failed sync (1)
    assert "Error: report: " in err


def test_without_notify_run_writes_the_report_and_says_it_was_not_sent(cli_run, provider):
    provider.users = [user(1)]
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 0, err
    assert "no [notify] destination is configured" in err


# ---- the report cannot be built: the destinations are told why --------------------------------------------------

WEBHOOKS = '[notify.slack]\nwebhook_url_env = "TEST_SLACK_HOOK"\n[notify.teams]\nwebhook_url_env = "TEST_TEAMS_HOOK"\n'


def failure_notice(message) -> tuple[str, str]:
    """(subject, text) of a received notice, checked to be text only: no report to attach or show."""
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    return message["Subject"], message.get_content().replace("\r\n", "\n")


def test_with_nothing_synced_run_tells_every_destination_why_there_is_no_report(
    cli_run, provider, write_config, smtp_server, webhook_receiver, monkeypatch
):
    provider.fail_after = 0  # the first sync fails: nothing was ever synced
    provider.users = [user(1)]
    monkeypatch.setenv("TEST_SLACK_HOOK", webhook_receiver.url("/services/T0/B0/slack-sekrit"))
    monkeypatch.setenv("TEST_TEAMS_HOOK", webhook_receiver.url("/workflows/teams-sekrit"))
    write_config(email_config(smtp_server.port, security='"none"') + WEBHOOKS)
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 2  # the report's configuration error outranks the failed sync (1)
    [reason] = [line.removeprefix("Error: ") for line in err.splitlines() if line.startswith("Error: report: ")]
    assert out.splitlines() == [
        "email: sent to it@example.com, finance@example.com",
        "slack: sent",
        "teams: sent",
    ]
    assert not (paths.data_dir() / "reports" / f"seatkeeper-{MONTH}.html").exists()
    [message] = smtp_server.mailbox.messages
    subject, text = failure_notice(message)
    title = f"Licence report — {month_title()} could not be built"
    assert subject == f"[seatkeeper] {title}"
    assert text.splitlines()[:3] == [title, "", f"- {reason}"]
    (_, slack), (_, teams) = webhook_receiver.posts
    assert title in slack["text"] and f"- {reason}" in slack["text"]
    heading, alert, footer = teams["attachments"][0]["content"]["body"]  # no figures, no "read this first"
    assert heading["text"] == title
    assert alert["inlines"][0]["text"] == f"• {reason}"
    assert "run it again" in footer["text"]
    sent = message.as_string() + json.dumps([body for _, body in webhook_receiver.posts])
    for secret in (SECRET, "sekrit"):
        assert secret not in out + err + sent


def month_title() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%B %Y")


def test_a_prices_mistake_is_told_and_stops_run_before_the_sync(cli_run, provider, write_config, smtp_server):
    provider.users = [user(1)]
    config = email_config(smtp_server.port, security='"none"').replace('currency = "EUR"\n', "")
    write_config(config)  # prices without a currency
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 2
    assert provider.fetches == 0
    assert "prices are set but [prices] has no currency" in err
    [message] = smtp_server.mailbox.messages
    subject, text = failure_notice(message)
    assert subject.endswith("could not be built")
    assert "- report: config file " in text and "prices are set but [prices] has no currency" in text


def test_a_broken_template_is_told_after_the_sync(cli_run, provider, write_config, smtp_server, tmp_path):
    provider.users = [user(1)]
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_summary.html").write_text("<p>{% if %}</p>\n", encoding="utf-8")
    config = email_config(smtp_server.port, security='"none"') + '[reports]\ntemplate_dir = "templates"\n'
    write_config(config)
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 2
    assert out.splitlines()[0].startswith("listprovider: 1 seats")  # synced first
    [message] = smtp_server.mailbox.messages
    _, text = failure_notice(message)
    [alert] = [line for line in text.splitlines() if line.startswith("- ")]
    assert alert.startswith("- report: template ") and "_summary.html line 1" in alert


def test_when_the_notice_cannot_be_sent_either_run_exits_with_the_worst(cli_run, provider, write_config):
    provider.fail_after = 0
    provider.users = [user(1)]
    port = free_port()  # nothing listens there
    write_config(email_config(port, security='"none"'))
    code, _, err = cli_run("run", "--month", MONTH)
    assert code == 2  # the report's configuration error (2) outranks the failed delivery (1)
    lines = err.splitlines()
    assert any(line.startswith("Error: report: ") for line in lines)
    assert (
        f"Error: email: 127.0.0.1:{port}: cannot connect (Connection refused): check [notify.email] host and port"
        in lines
    )


def test_a_sync_that_cannot_start_still_sends_the_report_with_the_reason_among_its_alerts(
    cli_run, provider, write_config, smtp_server, monkeypatch
):
    provider.users = [user(1), user(2)]
    assert cli_run("sync").exit_code == 0
    monkeypatch.delenv("LISTPROVIDER_TOKEN")  # no connection is configured any more: the sync cannot start
    write_config(email_config(smtp_server.port, security='"none"'))
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 2, (out, err)
    [sync_error] = [line for line in err.splitlines() if line.startswith("Error: sync: ")]
    assert "no connections configured" in sync_error
    [message] = smtp_server.mailbox.messages
    assert message["Subject"].endswith("— 1 alert")
    text, [(_, html)] = parts(message)
    assert f"Read this first:\n- {sync_error.removeprefix('Error: ')}" in text
    assert "Billable seats: 2" in text and "<h1>Licence report" in html


def test_a_report_that_cannot_be_written_is_still_mailed(cli_run, provider, write_config, smtp_server):
    provider.users = [user(1)]
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    (paths.data_dir() / "reports").write_text("a file where the reports folder goes\n", encoding="utf-8")
    write_config(email_config(smtp_server.port, security='"none"'))
    code, out, err = cli_run("run", "--month", MONTH)
    assert code == 2
    assert err.startswith("Error: report: cannot write ") and err.strip().endswith(": Not a directory")
    assert len(err.splitlines()) == 1
    assert out.splitlines()[-1] == "email: sent to it@example.com, finance@example.com"
    [message] = smtp_server.mailbox.messages
    assert "<h1>Licence report" in parts(message)[1][0][1]
