"""Helpers for provider plugins that talk HTTP: a network failure's chain of causes, for messages.

Nothing here knows a provider. requests and urllib3 wrap the error that tells what happened (a DNS failure, a
refused connection, a timeout) a few layers deep, in ``reason`` attributes, first arguments and causes.
"""

from __future__ import annotations

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
