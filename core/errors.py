"""Error types a user may see.

Every failure the CLI reports is a :class:`SeatkeeperError`: its message is one line, fit for a person,
names what to fix, and never contains a secret. Exit codes (the README's table): 0 success, 1 a sync or
other job failed, 2 configuration or usage error, 3 database error, 130 interrupted (Ctrl-C), 143 stopped by
SIGTERM. Providers raise the subclasses below so the CLI and the
sync engine can tell a wrong password from a flaky network without knowing the provider.
"""


class SeatkeeperError(Exception):
    """Base class: a problem the user can act on. ``str(error)`` is the whole message."""

    exit_code = 1


class ConfigError(SeatkeeperError):
    """The configuration (file, environment or command line) is wrong or incomplete."""

    exit_code = 2


class StoreError(SeatkeeperError):
    """The database cannot be opened, upgraded, read or written."""

    exit_code = 3


class NoDatabase(StoreError):
    """There is no seatkeeper database at the URL yet (a command that only reads creates none)."""


class ProviderError(SeatkeeperError):
    """A provider failed in a way that stops this connection's sync."""


class AuthenticationError(ProviderError):
    """The provider rejected the credentials (wrong id/secret, wrong account, app not activated)."""


class PermissionDenied(ProviderError):
    """The credentials work but lack a permission (scope) the sync needs; the message names it."""


class RateLimited(ProviderError):
    """The provider's rate limit stops the sync (a daily quota, or retries exhausted)."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or kept failing (network, DNS, 5xx after retries)."""


class BadProviderData(ProviderError):
    """The provider answered with something that cannot be read (malformed JSON, wrong envelope)."""


class SyncInProgress(SeatkeeperError):
    """Another sync of the same connection holds the lock."""


class Interrupted(SeatkeeperError):
    """The user stopped the command (Ctrl-C) or the system asked it to end (SIGTERM)."""

    exit_code = 130


def first_line(error: BaseException | None) -> str:
    """The first non-empty line of ``error``'s message, or its type's name when it has none."""
    if error is None:
        return ""
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__
