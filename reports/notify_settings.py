"""The ``[notify]`` tables of the config file: where ``seatkeeper notify`` sends the report, checked.

::

    [notify.email]
    host = "smtp.example.com"
    port = 587                        # default: 587 for starttls, 465 for ssl, 25 for none
    security = "starttls"             # starttls | ssl | none
    username = "seatkeeper@example.com"
    password_env = "SEATKEEPER_SMTP_PASSWORD"   # the password is read from the variable named here
    from = "seatkeeper@example.com"
    to = ["it@example.com", "finance@example.com"]
    subject_prefix = "[seatkeeper] "
    report = "attached"               # attached | inline (the mail's HTML body) | both

    [notify.slack]
    webhook_url_env = "SEATKEEPER_SLACK_WEBHOOK"

    [notify.teams]
    webhook_url_env = "SEATKEEPER_TEAMS_WEBHOOK"
    format = "adaptive"               # adaptive (an Adaptive Card) | messagecard (the old Office 365 connectors)

Passwords and webhook URLs are secrets: the file names the environment variables that hold them, and a
literal ``password`` or ``webhook_url`` is refused. Secrets are read when the settings are checked and never
appear in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seatkeeper.config import Config
from seatkeeper.errors import ConfigError

SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
EMAIL_KEYS = ("host", "port", "security", "username", "password_env", "from", "to", "subject_prefix", "report")
#: How the mail carries the HTML report: as a file, as the mail's HTML body (the text part its alternative), or both.
REPORT_PLACEMENTS = ("attached", "inline", "both")
WEBHOOK_KEYS = {"slack": ("webhook_url_env",), "teams": ("webhook_url_env", "format")}
#: The card a Teams webhook takes: an Adaptive Card (Workflows webhooks) or a MessageCard (Office 365 connectors).
TEAMS_FORMATS = ("adaptive", "messagecard")
CHANNELS = ("email", "slack", "teams")
DEFAULT_SUBJECT_PREFIX = "[seatkeeper] "


@dataclass(frozen=True)
class EmailSettings:
    """Where and how to mail the report. ``password`` is the secret itself (never printed)."""

    host: str
    port: int
    security: str
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    password_env: str | None = None
    subject_prefix: str = DEFAULT_SUBJECT_PREFIX
    report: str = "attached"


@dataclass(frozen=True)
class WebhookSettings:
    """A chat webhook: the URL (a secret, never printed), the variable it came from (safe to name), the card format."""

    channel: str
    url: str = field(repr=False)
    url_env: str
    format: str = ""


@dataclass(frozen=True)
class NotifySettings:
    """Every configured destination; ``empty`` when the config file has no ``[notify]`` destination."""

    email: EmailSettings | None = None
    webhooks: tuple[WebhookSettings, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether nothing is configured to receive the report."""
        return self.email is None and not self.webhooks


def notify_settings(config: Config, environ: Mapping[str, str] | None = None) -> NotifySettings:
    """Read and check ``[notify]``; a ConfigError names the first problem (never a secret's value)."""
    environ = os.environ if environ is None else environ
    where = f"config file {config.path}"
    table = config.raw.get("notify", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: 'notify' must be a table: [notify.email], [notify.slack] or [notify.teams]")
    for key, value in table.items():
        if key not in CHANNELS:
            raise ConfigError(f"{where}: unknown key {key!r} in [notify] (known: {', '.join(CHANNELS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: notify.{key} must be a table: [notify.{key}]")
    email = _email(table["email"], environ, f"{where}: [notify.email]") if "email" in table else None
    webhooks = tuple(
        _webhook(name, table[name], environ, f"{where}: [notify.{name}]")
        for name in ("slack", "teams")
        if name in table
    )
    return NotifySettings(email=email, webhooks=webhooks)


def _email(table: dict[str, Any], environ: Mapping[str, str], where: str) -> EmailSettings:
    if "password" in table:
        raise ConfigError(
            f"{where}: a password is not kept in the config file: put it in an environment variable and name "
            'that in password_env, e.g. password_env = "SEATKEEPER_SMTP_PASSWORD"'
        )
    _check_keys(table, EMAIL_KEYS, where)
    host = _text(table, "host", where, required=True)
    security = table.get("security", "starttls")
    if security not in SECURITY_PORTS:
        raise ConfigError(f"{where}: security must be one of {', '.join(SECURITY_PORTS)}, not {security!r}")
    port = table.get("port", SECURITY_PORTS[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"{where}: port must be a whole number from 1 to 65535, not {port!r}")
    to = table.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(item, str) and "@" in item for item in to):
        raise ConfigError(f'{where}: to must list the addresses to mail, e.g. to = ["it@example.com"]')
    username = _text(table, "username", where)
    password_env = _text(table, "password_env", where)
    password = _secret(environ, password_env, "password_env", where) if password_env else None
    if username and not password:
        raise ConfigError(f"{where}: username is set, so password_env must name the variable holding its password")
    if password and not username:
        raise ConfigError(f"{where}: password_env is set, so username must name the account to log in with")
    if password and security == "none":
        raise ConfigError(f'{where}: a password is never sent unencrypted: set security = "starttls" or "ssl"')
    prefix = table.get("subject_prefix", DEFAULT_SUBJECT_PREFIX)
    if not isinstance(prefix, str):
        raise ConfigError(f"{where}: subject_prefix must be text, not {prefix!r}")
    placement = table.get("report", "attached")
    if placement not in REPORT_PLACEMENTS:
        raise ConfigError(f"{where}: report must be one of {', '.join(REPORT_PLACEMENTS)}, not {placement!r}")
    return EmailSettings(
        host=host,
        port=port,
        security=security,
        sender=_text(table, "from", where, required=True),
        to=tuple(to),
        username=username,
        password=password,
        password_env=password_env,
        subject_prefix=prefix,
        report=placement,
    )


def _webhook(channel: str, table: dict[str, Any], environ: Mapping[str, str], where: str) -> WebhookSettings:
    if "webhook_url" in table:
        raise ConfigError(
            f"{where}: a webhook URL is a secret, not kept in the config file: put it in an environment variable "
            f'and name that in webhook_url_env, e.g. webhook_url_env = "SEATKEEPER_{channel.upper()}_WEBHOOK"'
        )
    _check_keys(table, WEBHOOK_KEYS[channel], where)
    card = ""
    if channel == "teams":
        card = table.get("format", "adaptive")
        if card not in TEAMS_FORMATS:
            raise ConfigError(f"{where}: format must be one of {', '.join(TEAMS_FORMATS)}, not {card!r}")
    variable = _text(table, "webhook_url_env", where, required=True)
    url = _secret(environ, variable, "webhook_url_env", where)
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: the variable {variable} must hold the webhook's http(s) URL")
    return WebhookSettings(channel=channel, url=url, url_env=variable, format=card)


def _secret(environ: Mapping[str, str], variable: str, key: str, where: str) -> str:
    value = (environ.get(variable) or "").strip()
    if not value:
        raise ConfigError(f"{where}: {key} names the variable {variable}, which is not set in the environment")
    return value


def _text(table: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise ConfigError(f"{where}: {key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key} must be non-empty text, not {value!r}")
    return value.strip()


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
