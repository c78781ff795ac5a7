"""``seatkeeper notify`` to Slack and Teams webhooks, posted to a local HTTP receiver on 127.0.0.1."""

from __future__ import annotations

from tests.delivery.conftest import LOCALHOST_ONLY, free_port
from tests.delivery.test_email import MONTH, PRICES, synced

pytestmark = LOCALHOST_ONLY

WEBHOOKS = '[notify.slack]\nwebhook_url_env = "TEST_SLACK_HOOK"\n[notify.teams]\nwebhook_url_env = "TEST_TEAMS_HOOK"\n'
SLACK_PATH = "/services/T000/B000/slack-token-sekrit"
TEAMS_PATH = "/webhookb2/teams-token-sekrit"


def test_slack_and_teams_receive_the_figures(cli_run, provider, write_config, webhook_receiver, monkeypatch):
    synced(cli_run, provider, 2)
    monkeypatch.setenv("TEST_SLACK_HOOK", webhook_receiver.url(SLACK_PATH))
    monkeypatch.setenv("TEST_TEAMS_HOOK", webhook_receiver.url(TEAMS_PATH))
    write_config(PRICES + WEBHOOKS)
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    assert out.splitlines() == ["slack: sent", "teams: sent"]
    (slack_path, slack), (teams_path, teams) = webhook_receiver.posts
    assert slack_path == SLACK_PATH and teams_path == TEAMS_PATH
    assert list(slack) == ["text"]
    assert "Licence report — " in slack["text"] and "Billable seats: 2" in slack["text"]
    assert "Monthly cost: 25.00 EUR" in slack["text"]
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    title, facts, footer = card["body"]  # no alert: no alert block
    assert title["type"] == "TextBlock" and title["text"].startswith("Licence report — ")
    assert facts == {
        "type": "FactSet",
        "facts": [
            {"title": "Seats", "value": "2"},
            {"title": "Billable seats", "value": "2"},
            {"title": "Monthly cost", "value": "25.00 EUR"},
            {"title": "Annual cost", "value": "300.00 EUR"},
            {"title": "Reclaimable", "value": "25.00 EUR a month (2 seats)"},
            {"title": "Unused billable seats", "value": "2 (25.00 EUR)"},
        ],
    }
    assert footer["text"].startswith("Generated ") and footer["isSubtle"] is True
    assert "Billable seats: 2" in card["fallbackText"]
    assert "sekrit" not in out + err


def test_teams_takes_a_messagecard_when_asked(cli_run, provider, write_config, webhook_receiver, monkeypatch):
    synced(cli_run, provider, 2)
    monkeypatch.setenv("TEST_TEAMS_HOOK", webhook_receiver.url(TEAMS_PATH))
    write_config(PRICES + '[notify.teams]\nwebhook_url_env = "TEST_TEAMS_HOOK"\nformat = "messagecard"\n')
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    [(_, teams)] = webhook_receiver.posts
    assert teams["@type"] == "MessageCard" and teams["title"].startswith("Licence report — ")
    assert "Billable seats: 2  \nMonthly cost: 25.00 EUR" in teams["text"]


def test_a_wrong_teams_format_is_a_configuration_error(cli_run, provider, write_config, monkeypatch):
    synced(cli_run, provider)
    monkeypatch.setenv("TEST_TEAMS_HOOK", "https://example.invalid/hook")
    write_config('[notify.teams]\nwebhook_url_env = "TEST_TEAMS_HOOK"\nformat = "card"\n')
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 2
    assert err.strip().endswith("[notify.teams]: format must be one of adaptive, messagecard, not 'card'")
    write_config('[notify.slack]\nwebhook_url_env = "TEST_TEAMS_HOOK"\nformat = "adaptive"\n')
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 2 and "[notify.slack]: unknown key 'format' (known: webhook_url_env)" in err


def test_the_alerts_are_sent(cli_run, provider, write_config, webhook_receiver, monkeypatch):
    synced(cli_run, provider, 2)
    monkeypatch.setenv("LISTPROVIDER_TOKEN", "a-wrong-token")
    assert cli_run("sync").exit_code == 1  # the latest sync fails: the report's first warning
    monkeypatch.setenv("TEST_SLACK_HOOK", webhook_receiver.url(SLACK_PATH))
    monkeypatch.setenv("TEST_TEAMS_HOOK", webhook_receiver.url(TEAMS_PATH))
    write_config(PRICES + WEBHOOKS)
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    [(_, slack), (_, teams)] = webhook_receiver.posts
    assert "— 1 alert*" in slack["text"]
    assert "Read this first:\n- Sync: listprovider: the latest sync" in slack["text"] and "failed" in slack["text"]
    _, _, heading, alert, _ = teams["attachments"][0]["content"]["body"]
    assert heading == {
        "type": "TextBlock",
        "text": "Read this first",
        "weight": "Bolder",
        "color": "Attention",
        "wrap": True,
    }
    # Plain text runs: an alert quoting a provider's text is never read as Markdown.
    assert alert["type"] == "RichTextBlock"
    [run] = alert["inlines"]
    assert run["type"] == "TextRun" and run["text"].startswith("• Sync: listprovider: the latest sync")


def test_a_webhook_answering_404_is_one_line_naming_the_variable_not_the_url(
    cli_run, provider, write_config, webhook_receiver, monkeypatch
):
    synced(cli_run, provider)
    webhook_receiver.status = 404
    monkeypatch.setenv("TEST_SLACK_HOOK", webhook_receiver.url(SLACK_PATH))
    monkeypatch.setenv("TEST_TEAMS_HOOK", webhook_receiver.url(TEAMS_PATH))
    write_config(PRICES + WEBHOOKS)
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 1
    assert err.splitlines() == [
        "Error: slack: the webhook in $TEST_SLACK_HOOK answered HTTP 404: check the URL (the webhook may have been removed)",
        "Error: teams: the webhook in $TEST_TEAMS_HOOK answered HTTP 404: check the URL (the webhook may have been removed)",
    ]
    assert "sekrit" not in out + err


def test_an_unreachable_webhook_never_shows_its_url(cli_run, provider, write_config, monkeypatch):
    synced(cli_run, provider)
    monkeypatch.setenv("TEST_SLACK_HOOK", f"http://127.0.0.1:{free_port()}{SLACK_PATH}")
    write_config(PRICES + '[notify.slack]\nwebhook_url_env = "TEST_SLACK_HOOK"\n')
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 1
    assert (
        err.strip()
        == "Error: slack: the webhook in $TEST_SLACK_HOOK cannot be reached (ConnectionError): check the URL"
    )
    assert "sekrit" not in out + err


def test_a_literal_webhook_url_is_refused(cli_run, provider, write_config):
    synced(cli_run, provider)
    write_config(f'[notify.teams]\nwebhook_url = "https://example.invalid{TEAMS_PATH}"\n')
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 2
    assert "a webhook URL is a secret, not kept in the config file" in err
    assert "sekrit" not in out + err
