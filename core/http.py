"""Helpers for provider plugins that talk HTTP: checking a service URL setting, a network failure's causes.

Nothing here knows a provider. requests and urllib3 wrap the error that tells what happened (a DNS failure, a
refused connection, a timeout) a few layers deep, in ``reason`` attributes, first arguments and causes.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from urllib3.exceptions import NameResolutionError

from .errors import ConfigError

#: How deep a chain of causes is followed (a cycle or a pathological chain stops there).
MAX_CAUSES = 20


def network_causes(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it wraps (urllib3's ``reason``, a first argument, the cause or context), outermost
    first; each once."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < MAX_CAUSES:
        seen.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            current = current.__cause__ or current.__context__
    return seen


#: Hosts where plain http is allowed: nothing crosses a network there (a local test server, a demo).
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def check_service_url(
    value: str, service: str, name: str, env: str | None = None, *, https_only: str | None = None
) -> tuple[str, SplitResult]:
    """``value`` without a trailing slash, and its parts, if it can name a provider's service: an http(s) URL
    with a host and no user name or password, plain http only on this machine (never, when ``https_only`` gives
    the reason why not). Else a ConfigError naming the setting (``name``, and ``env``, the variable that may set it).

    The credentials are checked before the URL is echoed in any message.
    """
    where = f"{env} or the connection's {name}" if env else f"the connection's {name}"
    check = f": check {env}" if env else ""
    value = value.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        has_credentials = bool(parts.username or parts.password)
    except ValueError:
        raise ConfigError(f"the {service} {name} is not a valid URL: check {where}") from None
    if has_credentials:
        raise ConfigError(f"the {service} {name} must not contain a user name or password{check}")
    if parts.scheme not in ("https", "http") or not hostname:
        raise ConfigError(
            f"the {service} {name} {value[:200]!r} is not an http(s) URL" + (f": check {where}" if env else "")
        )
    if parts.scheme == "http" and https_only:
        raise ConfigError(f"the {service} {name} must use https ({https_only}){check}")
    if parts.scheme == "http" and hostname not in LOOPBACK:
        # Credentials and tokens would cross the network in clear text.
        raise ConfigError(f"the {service} {name} must use https (plain http is only allowed for localhost){check}")
    return value, parts


def unreachable(causes: list[BaseException]) -> str | None:
    """Why a host could not be reached at all, from a failure's ``causes`` (innermost first wins): its name does
    not resolve, or it refused the connection; None for any other failure."""
    for cause in reversed(causes):
        if isinstance(cause, NameResolutionError):
            return "the host name does not resolve (DNS)"
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(cause).lower():
            return "connection refused"
    return None
