"""Sending a month's report: its headline figures and alerts by email (with the HTML report) and to chat webhooks.

Email goes through the standard library's ``smtplib`` and ``email`` (well kept, and every SMTP option we need:
STARTTLS, implicit TLS, AUTH); webhooks are one JSON post each through ``requests``. A library such as apprise
would add a dependency and its own URL syntax for secrets without saving code here.

Every failure is a :class:`DeliveryError` whose one-line message names the destination and what to check; no
message ever holds a password or a webhook URL.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

import requests

from seatkeeper.errors import SeatkeeperError

from .model import Report
from .notify_settings import EmailSettings, NotifySettings, WebhookSettings
from .wording import ALERT_LABELS, format_cost, format_count

TIMEOUT_SECONDS = 30


class DeliveryError(SeatkeeperError):
    """A destination did not take the report (exit code 1)."""


@dataclass(frozen=True)
class Message:
    """What is sent: a subject, a title, the headline figures and the alerts, and the HTML report if there is one.

    ``text`` is all of it as plain text (the mail's text part, the Slack post); a chat card lays out ``facts``
    and ``alerts`` itself.
    """

    subject: str
    title: str
    facts: tuple[tuple[str, str], ...]
    alerts: tuple[str, ...]
    footer: str
    html: str | None = None
    attachment_name: str = ""
    #: The heading of the alerts: "Read this first:" for a report, nothing for a failure notice.
    alerts_heading: str = "Read this first:"

    @property
    def text(self) -> str:
        """Title, figures, alerts and footer as plain text, one item a line."""
        alerts = [f"- {alert}" for alert in self.alerts]
        if alerts and self.alerts_heading:
            alerts.insert(0, self.alerts_heading)
        blocks = [[self.title], [f"{label}: {value}" for label, value in self.facts], alerts, [self.footer]]
        return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def headline(report: Report) -> list[tuple[str, str]]:
    """The report's headline figures, as (label, value) pairs: the summary cards' figures."""
    totals, currency, savings = report.totals, report.currency, report.savings
    facts = [
        ("Seats", format_count(totals.seats)),
        ("Billable seats", format_count(totals.billable)),
        ("Monthly cost", format_cost(totals.monthly_cost, totals.unpriced_seats, currency)),
        ("Annual cost", format_cost(report.annual_cost, totals.unpriced_seats, currency)),
    ]
    if currency:
        reclaimable = format_cost(savings.monthly_cost, savings.unpriced_seats, currency)
        facts.append(("Reclaimable", f"{reclaimable} a month ({format_count(savings.seats)} seats)"))
    facts.append(
        (
            "Unused billable seats",
            f"{format_count(totals.unused)} ({format_cost(totals.unused_cost, totals.unused_unpriced_seats, currency)})",
        )
    )
    return facts


def read_first(report: Report) -> list[str]:
    """The lines of the report's "Read this first" box: its alerts, labelled, then the other warnings."""
    alerts = [f"{ALERT_LABELS.get(alert.kind, alert.kind)}: {alert.text}" for alert in report.alerts]
    shown = {alert.text for alert in report.alerts}
    return alerts + [warning for warning in report.warnings if warning not in shown]


def compose(report: Report, html: str, subject_prefix: str = "", extra_alerts: Sequence[str] = ()) -> Message:
    """The message for ``report`` (``html`` is the rendered report): subject, figures, alerts, the report.

    ``extra_alerts`` (a sync that could not run, say) come before the report's own.
    """
    title = f"Licence report — {report.month_title}" + (" (month in progress)" if report.in_progress else "")
    alerts = (*extra_alerts, *read_first(report))
    subject = f"{subject_prefix}{title}" + (
        f" — {len(alerts)} alert{'s' if len(alerts) != 1 else ''}" if alerts else ""
    )
    return Message(
        subject=subject,
        title=title,
        facts=tuple(headline(report)),
        alerts=alerts,
        footer=f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by seatkeeper.",
        html=html,
        attachment_name=f"seatkeeper-{report.month}.html",
    )


def compose_failure(month_title: str, reasons: Sequence[str], now: datetime, subject_prefix: str = "") -> Message:
    """The notice that the report of ``month_title`` could not be built, and why (error lines, never a secret)."""
    title = f"Licence report — {month_title} could not be built"
    return Message(
        subject=f"{subject_prefix}{title}",
        title=title,
        facts=(),
        alerts=tuple(reasons),
        footer=f"seatkeeper run, {now:%Y-%m-%d %H:%M} UTC: fix this and run it again (see docs/delivery.md).",
        alerts_heading="",
    )


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
    if message.html is None:  # a notice that the report could not be built: text only
        return mail
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


def webhook_payload(settings: WebhookSettings, message: Message) -> dict:
    """The JSON the webhook of ``settings`` takes.

    Slack: ``{"text": ...}``. Teams: an Adaptive Card in a message (what Teams Workflows webhooks take), or for
    ``format = "messagecard"`` the MessageCard of the retired Office 365 connectors.
    """
    if settings.channel == "teams":
        return _message_card(message) if settings.format == "messagecard" else _adaptive_card(message)
    return {"text": f"*{message.subject}*\n{message.text}"}


#: The Adaptive Card schema version sent: 1.4 is what Teams (and its Workflows) render everywhere.
ADAPTIVE_CARD_VERSION = "1.4"


def _adaptive_card(message: Message) -> dict:
    body: list[dict] = [
        {"type": "TextBlock", "text": message.title, "size": "Large", "weight": "Bolder", "wrap": True},
    ]
    if message.facts:
        body.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in message.facts]})
    if message.alerts:
        if message.alerts_heading:
            heading = message.alerts_heading.rstrip(":")
            body.append({"type": "TextBlock", "text": heading, "weight": "Bolder", "color": "Attention", "wrap": True})
        # TextRuns are plain text, never Markdown: an alert quotes names from providers and the config file.
        body += [
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": f"• {alert}"}]}
            for alert in message.alerts
        ]
    body.append({"type": "TextBlock", "text": message.footer, "isSubtle": True, "size": "Small", "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "msteams": {"width": "Full"},
        "fallbackText": message.text,
        "body": body,
    }
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


def _message_card(message: Message) -> dict:
    body = message.text.split("\n", 2)[2]  # without the title, which the card shows as its own
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.subject,
        "title": message.subject,
        # MessageCard text is Markdown: two spaces before a line break keep the lines apart.
        "text": body.strip().replace("\n", "  \n"),
    }


def post_webhook(settings: WebhookSettings, message: Message) -> None:
    """Post ``message`` to a chat webhook; a DeliveryError names the variable holding the URL, never the URL."""
    where = f"{settings.channel}: the webhook in ${settings.url_env}"
    try:
        response = requests.post(settings.url, json=webhook_payload(settings, message), timeout=TIMEOUT_SECONDS)
    except requests.Timeout:
        raise DeliveryError(f"{where} did not answer in {TIMEOUT_SECONDS} s: check the URL and the network") from None
    except requests.RequestException as error:
        # The exception's own text holds the URL, a secret: name only its kind.
        raise DeliveryError(f"{where} cannot be reached ({type(error).__name__}): check the URL") from None
    if response.status_code >= 400:
        hint = "check the URL (the webhook may have been removed)" if response.status_code < 500 else "try again later"
        raise DeliveryError(f"{where} answered HTTP {response.status_code}: {hint}")
