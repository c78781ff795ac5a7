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
    assert "Read this first:\n- listprovider: the latest sync" in text


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
