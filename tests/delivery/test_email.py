"""``seatkeeper notify`` by email, through a real SMTP server on 127.0.0.1 that the test reads back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.delivery.conftest import LOCALHOST_ONLY, SMTP_PASSWORD, SMTP_USER, free_port
from tests.throwaway_plugin import SECRET, user

pytestmark = LOCALHOST_ONLY

MONTH = datetime.now(UTC).strftime("%Y-%m")  # the running month: the seats synced now are in it
PRICES = '[prices]\ncurrency = "EUR"\n[prices.listprovider]\nLicensed = 12.5\n'


def email_config(port: int, **extra: str) -> str:
    lines = [
        "[notify.email]",
        'host = "127.0.0.1"',
        f"port = {port}",
        'from = "seatkeeper@example.com"',
        'to = ["it@example.com", "finance@example.com"]',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    return PRICES + "\n".join(lines) + "\n"


def synced(cli_run, provider, count: int = 3) -> None:
    provider.users = [user(n) for n in range(1, count + 1)]
    assert cli_run("sync").exit_code == 0


def parts(message):
    """(text body, [(filename, content)] of the attachments) of a received message."""
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")  # SMTP sends CRLF
    attached = [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
    return text, attached


def test_a_mailed_report_arrives_with_the_subject_figures_and_the_html_report(
    cli_run, provider, write_config, smtp_server
):
    synced(cli_run, provider, 3)
    write_config(email_config(smtp_server.port, security='"none"'))
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    assert out.strip() == "email: sent to it@example.com, finance@example.com"
    [message] = smtp_server.mailbox.messages
    title = datetime.now(UTC).strftime("%B %Y")
    assert message["Subject"] == f"[seatkeeper] Licence report — {title} (month in progress)"
    assert smtp_server.mailbox.envelopes == [("seatkeeper@example.com", ["it@example.com", "finance@example.com"])]
    text, attached = parts(message)
    assert "Seats: 3" in text
    assert "Billable seats: 3" in text
    assert "Monthly cost: 37.50 EUR" in text
    assert "Annual cost: 450.00 EUR" in text and "Reclaimable: 37.50 EUR a month (3 seats)" in text
    [(name, html)] = attached
    assert name == f"seatkeeper-{MONTH}.html"
    assert html.startswith("<!DOCTYPE html>") and f"<h1>Licence report — {title}</h1>" in html
    assert "user3@example.com" in html.lower()


def test_starttls_and_login_send_the_mail_and_the_password_is_never_shown(
    cli_run, provider, write_config, starttls_server, monkeypatch
):
    synced(cli_run, provider)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    write_config(
        email_config(
            starttls_server.port,
            security='"starttls"',
            username=f'"{SMTP_USER}"',
            password_env='"TEST_SMTP_PASSWORD"',
            subject_prefix='"Seats: "',
        )
    )
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    assert starttls_server.mailbox.logins == [SMTP_USER]
    [message] = starttls_server.mailbox.messages
    assert message["Subject"].startswith("Seats: Licence report — ")
    assert SMTP_PASSWORD not in out + err + message.as_string()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # it is TLS: see ssl_server
def test_implicit_tls_and_login_send_the_mail(cli_run, provider, write_config, ssl_server, monkeypatch):
    synced(cli_run, provider)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    write_config(
        email_config(ssl_server.port, security='"ssl"', username=f'"{SMTP_USER}"', password_env='"TEST_SMTP_PASSWORD"')
    )
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    assert ssl_server.mailbox.logins == [SMTP_USER]
    [message] = ssl_server.mailbox.messages
    assert "Billable seats: 3" in parts(message)[0]


def test_a_wrong_password_is_one_line_naming_what_to_fix(cli_run, provider, write_config, starttls_server, monkeypatch):
    synced(cli_run, provider)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "not-the-password-xyz")
    write_config(email_config(starttls_server.port, username=f'"{SMTP_USER}"', password_env='"TEST_SMTP_PASSWORD"'))
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 1
    assert err.strip().splitlines() == [
        f"Error: email: 127.0.0.1:{starttls_server.port} refused the login of 'mailer': check [notify.email] "
        "username and the password in $TEST_SMTP_PASSWORD"
    ]
    assert "not-the-password-xyz" not in out + err
    assert not starttls_server.mailbox.messages


def test_an_untrusted_certificate_is_a_tls_error(cli_run, provider, write_config, starttls_server, monkeypatch):
    synced(cli_run, provider)
    monkeypatch.delenv("SSL_CERT_FILE")  # the server's self-signed certificate is no longer trusted
    write_config(email_config(starttls_server.port))
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 1
    assert "the server's certificate is not trusted" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_implicit_tls_against_a_plain_server_is_a_tls_error(cli_run, provider, write_config, smtp_server):
    synced(cli_run, provider)
    write_config(email_config(smtp_server.port, security='"ssl"'))
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 1
    assert err.startswith(f"Error: email: 127.0.0.1:{smtp_server.port}: TLS failed (")
    assert len(err.strip().splitlines()) == 1


def test_a_refused_connection_names_host_and_port(cli_run, provider, write_config):
    synced(cli_run, provider)
    port = free_port()  # nothing listens there
    write_config(email_config(port, security='"none"'))
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 1
    assert err.strip() == (
        f"Error: email: 127.0.0.1:{port}: cannot connect (Connection refused): check [notify.email] host and port"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"password": '"hunter2-literal"'}, "a password is not kept in the config file"),
        ({"passwrd_env": '"X"'}, "unknown key 'passwrd_env' (known: host, port, security, username, password_env"),
        ({"username": '"u"', "password_env": '"UNSET_SMTP_PASSWORD_VAR"'}, "which is not set in the environment"),
        ({"security": '"tls"'}, "security must be one of starttls, ssl, none, not 'tls'"),
        ({"report": '"embedded"'}, "report must be one of attached, inline, both, not 'embedded'"),
    ],
)
def test_configuration_errors_exit_2_in_one_line(cli_run, provider, write_config, extra, expected):
    synced(cli_run, provider)
    write_config(email_config(25, **extra))
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 2
    assert expected in err and len(err.strip().splitlines()) == 1
    assert "hunter2-literal" not in out + err


def test_unknown_notify_table_and_no_destination_are_configuration_errors(cli_run, provider, write_config):
    synced(cli_run, provider)
    write_config("[notify.pager]\nnumber = 1\n")
    code, _, err = cli_run("notify")
    assert code == 2 and "unknown key 'pager' in [notify] (known: email, slack, teams)" in err
    write_config("")
    code, _, err = cli_run("notify")
    assert code == 2 and "no [notify] destination" in err


def test_the_secret_of_the_provider_never_reaches_the_mail(cli_run, provider, write_config, smtp_server):
    synced(cli_run, provider)
    write_config(email_config(smtp_server.port, security='"none"'))
    code, out, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    [message] = smtp_server.mailbox.messages
    assert SECRET not in out + err + message.as_string()


def structure(part) -> list:
    """A received message's MIME tree: content types, with the file name of an attachment."""
    if part.is_multipart():
        return [part.get_content_type(), [structure(child) for child in part.iter_parts()]]
    name = part.get_filename()
    return part.get_content_type() + (f" ({part.get_content_disposition()} {name})" if name else "")


def test_the_report_attached_is_the_default_structure(cli_run, provider, write_config, smtp_server):
    synced(cli_run, provider)
    write_config(email_config(smtp_server.port, security='"none"'))
    assert cli_run("notify", "--month", MONTH).exit_code == 0
    [message] = smtp_server.mailbox.messages
    assert structure(message) == [
        "multipart/mixed",
        ["text/plain", f"text/html (attachment seatkeeper-{MONTH}.html)"],
    ]


def test_the_report_inline_is_the_html_body_with_the_text_as_its_alternative(
    cli_run, provider, write_config, smtp_server
):
    synced(cli_run, provider, 3)
    write_config(email_config(smtp_server.port, security='"none"', report='"inline"'))
    code, _, err = cli_run("notify", "--month", MONTH)
    assert code == 0, err
    [message] = smtp_server.mailbox.messages
    assert structure(message) == ["multipart/alternative", ["text/plain", "text/html"]]
    assert list(message.iter_attachments()) == []
    html = message.get_body(preferencelist=("html",))
    assert html.get_content_disposition() is None  # shown, not offered as a file
    page = html.get_content()
    title = datetime.now(UTC).strftime("%B %Y")
    assert page.startswith("<!DOCTYPE html>") and f"<h1>Licence report — {title}</h1>" in page
    assert "user3@example.com" in page.lower() and "37.50" in page
    assert "Monthly cost: 37.50 EUR" in parts(message)[0]  # the plain alternative still has the figures
    # 7-bit safe on the wire: the long lines and the em dash travel encoded.
    [raw] = smtp_server.mailbox.raw
    assert raw.isascii() and max(len(line) for line in raw.splitlines()) <= 78


def test_the_report_both_inline_and_attached(cli_run, provider, write_config, smtp_server):
    synced(cli_run, provider, 2)
    write_config(email_config(smtp_server.port, security='"none"', report='"both"'))
    assert cli_run("notify", "--month", MONTH).exit_code == 0
    [message] = smtp_server.mailbox.messages
    assert structure(message) == [
        "multipart/mixed",
        [["multipart/alternative", ["text/plain", "text/html"]], f"text/html (attachment seatkeeper-{MONTH}.html)"],
    ]
    body = message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")  # SMTP sends CRLF
    [(_, attached)] = parts(message)[1]
    assert body == attached and "Billable seats" in body
