"""Sending a month's report: its headline figures and alerts by email (HTML report attached) and to chat webhooks.

Email goes through the standard library's ``smtplib`` and ``email`` (well kept, and every SMTP option we need:
STARTTLS, implicit TLS, AUTH); webhooks are one JSON post each through ``requests``. A library such as apprise
would add a dependency and its own URL syntax for secrets without saving code here.

Every failure is a :class:`DeliveryError` whose one-line message names the destination and what to check; no
message ever holds a password or a webhook URL.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import requests

from seatkeeper.errors import SeatkeeperError

from .model import Report
from .notify_settings import EmailSettings, NotifySettings, WebhookSettings
from .render import format_cost, format_count

TIMEOUT_SECONDS = 30


class DeliveryError(SeatkeeperError):
    """A destination did not take the report (exit code 1)."""


@dataclass(frozen=True)
class Message:
    """What is sent: a subject, the figures and alerts as plain text, and the HTML report."""

    subject: str
    text: str
    html: str
    attachment_name: str


def headline(report: Report) -> list[str]:
    """The report's headline figures, one line each."""
    totals, currency = report.totals, report.currency
    return [
        f"Seats: {format_count(totals.seats)}",
        f"Billable seats: {format_count(totals.billable)}",
        f"Monthly cost: {format_cost(totals.monthly_cost, totals.unpriced_seats, currency)}",
        f"Unused billable seats: {format_count(totals.unused)}"
        f" ({format_cost(totals.unused_cost, totals.unused_unpriced_seats, currency)})",
    ]


def compose(report: Report, html: str, subject_prefix: str = "") -> Message:
    """The message for ``report`` (``html`` is the rendered report): subject, text part, attachment."""
    title = f"Licence report — {report.month_title}" + (" (month in progress)" if report.in_progress else "")
    alerts = report.warnings
    subject = f"{subject_prefix}{title}" + (
        f" — {len(alerts)} alert{'s' if len(alerts) != 1 else ''}" if alerts else ""
    )
    lines = [title, "", *headline(report)]
    if alerts:
        lines += ["", "Read this first:", *(f"- {alert}" for alert in alerts)]
    lines += ["", f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by seatkeeper."]
    return Message(subject, "\n".join(lines) + "\n", html, f"seatkeeper-{report.month}.html")


def send_all(settings: NotifySettings, message: Message) -> list[tuple[str, DeliveryError | None]]:
    """Send ``message`` to every configured destination; one failing never stops the others.

    Returns (destination, error or None) pairs in the order sent.
    """
    results: list[tuple[str, DeliveryError | None]] = []
    if settings.email is not None:
        results.append(("email", _attempt(send_email, settings.email, message)))
    for webhook in settings.webhooks:
        results.append((webhook.channel, _attempt(post_webhook, webhook, message)))
    return results


def _attempt(send, destination, message: Message) -> DeliveryError | None:
    try:
        send(destination, message)
    except DeliveryError as error:
        return error
    return None


def email_message(settings: EmailSettings, message: Message) -> EmailMessage:
    """The MIME message, as ``settings.report`` places the HTML report.

    ``attached``: the text part and the report as a file (multipart/mixed). ``inline``: the report is the mail's
    HTML body and the text part its plain alternative (multipart/alternative). ``both``: that alternative, and
    the report attached as well.
    """
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = settings.sender
    mail["To"] = ", ".join(settings.to)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    # Quoted-printable keeps the mail 7-bit (the text has an em dash) for relays without 8BITMIME.
    mail.set_content(message.text, cte="quoted-printable")
    if settings.report in ("inline", "both"):
        # As text, so the email package picks quoted-printable or base64 for its long lines and non-ASCII text.
        mail.add_alternative(message.html, subtype="html")
    if settings.report in ("attached", "both"):
        # Bytes, so base64 with its charset: the HTML has long lines and non-ASCII text 7-bit relays would mangle.
        mail.add_attachment(
            message.html.encode("utf-8"),
            maintype="text",
            subtype="html",
            params={"charset": "utf-8"},
            filename=message.attachment_name,
        )
    return mail


def send_email(settings: EmailSettings, message: Message) -> None:
    """Mail ``message`` through the SMTP server of ``settings``; a DeliveryError says what to fix."""
    where = f"email: {settings.host}:{settings.port}"
    context = ssl.create_default_context()
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(email_message(settings, message))
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError(
            f"{where} refused the login of {settings.username!r}: check [notify.email] username and the password "
            f"in ${settings.password_env}"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(
            f"{where} offers no STARTTLS{' nor AUTH' if settings.username else ''}: check [notify.email] security "
            '(use "ssl" for a server that speaks TLS from the start, usually port 465)'
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(
            f"{where}: the server's certificate is not trusted ({error.verify_message}): check [notify.email] host, "
            "or add the server's CA to the system's trusted certificates (or SSL_CERT_FILE)"
        ) from None
    except ssl.SSLError as error:
        raise DeliveryError(
            f"{where}: TLS failed ({error.reason or type(error).__name__}): check [notify.email] security and port "
            '("starttls" usually on 587, "ssl" on 465)'
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(sorted(error.recipients))
        raise DeliveryError(f"{where} refused the recipients {refused}: check [notify.email] to") from None
    except smtplib.SMTPSenderRefused as error:
        raise DeliveryError(f"{where} refused the sender {error.sender!r}: check [notify.email] from") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"{where} answered {error.smtp_code}: {_smtp_text(error.smtp_error)}") from None
    except (smtplib.SMTPServerDisconnected, TimeoutError):
        raise DeliveryError(
            f"{where} closed the connection or did not answer: check [notify.email] host, port and security"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DeliveryError(f"{where}: cannot connect ({reason}): check [notify.email] host and port") from None


def _smtp_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def webhook_payload(channel: str, message: Message) -> dict:
    """The JSON a Slack incoming webhook (``{"text": ...}``) or a Teams webhook (a MessageCard) takes."""
    if channel == "teams":
        body = message.text.split("\n", 2)[2] if message.text.count("\n") >= 2 else message.text
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.subject,
            "title": message.subject,
            # MessageCard text is Markdown: two spaces before a line break keep the lines apart.
            "text": body.strip().replace("\n", "  \n"),
        }
    return {"text": f"*{message.subject}*\n{message.text}"}


def post_webhook(settings: WebhookSettings, message: Message) -> None:
    """Post ``message`` to a chat webhook; a DeliveryError names the variable holding the URL, never the URL."""
    where = f"{settings.channel}: the webhook in ${settings.url_env}"
    try:
        response = requests.post(settings.url, json=webhook_payload(settings.channel, message), timeout=TIMEOUT_SECONDS)
    except requests.Timeout:
        raise DeliveryError(f"{where} did not answer in {TIMEOUT_SECONDS} s: check the URL and the network") from None
    except requests.RequestException as error:
        # The exception's own text holds the URL, a secret: name only its kind.
        raise DeliveryError(f"{where} cannot be reached ({type(error).__name__}): check the URL") from None
    if response.status_code >= 400:
        hint = "check the URL (the webhook may have been removed)" if response.status_code < 500 else "try again later"
        raise DeliveryError(f"{where} answered HTTP {response.status_code}: {hint}")
