"""What a provider plugin implements: a :class:`Provider` subclass registered through ``register_providers``.

The engine drives a provider in two steps for each connection:

1. ``session = provider.authenticate(settings)``: check credentials and return whatever the provider
   needs to talk to its API (an HTTP session, a token cache, a file handle). Raise
   :class:`~seatkeeper.errors.AuthenticationError` or another :class:`~seatkeeper.errors.ProviderError`.
2. ``for item in provider.fetch(session, context)``: yield one :class:`~seatkeeper.schema.SeatRecord` per
   user, or a :class:`~seatkeeper.schema.Rejected` for a user record that cannot be mapped, and optionally
   :class:`~seatkeeper.schema.SeatPlan` items for seats purchased per plan. Raise a ``ProviderError`` to
   abort: nothing of the run is applied.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from .schema import Person, Rejected, SeatPlan, SeatRecord

#: What a provider's ``authenticate`` returns and its ``fetch`` receives.
SessionT = TypeVar("SessionT")


@dataclass(frozen=True)
class Setting:
    """One configuration value a provider needs for a connection.

    :param name: key in the config file's connection table, e.g. ``"client_id"``.
    :param description: one line shown by ``seatkeeper providers``.
    :param secret: never printed, logged or stored; in the config file it should be given as
        ``<name>_env = "ENV_VAR"`` rather than written in the file.
    :param required: the connection cannot work without it.
    :param env: environment variable that supplies the value for the provider's default connection
        (and, for optional settings, for every connection of this provider that does not set it).
    :param default: value used when neither the config nor the environment gives one.
    :param number: the value is a number (seconds, a count): a config file may write it bare (``30``, ``2.5``);
        other settings must be quoted text, so an id such as ``0042`` keeps its leading zeros.
    """

    name: str
    description: str
    secret: bool = False
    required: bool = True
    env: str | None = None
    default: str | None = None
    number: bool = False


@dataclass
class FetchContext:
    """What the engine hands a provider's ``fetch`` besides its session.

    :param connection: the connection's name, for messages.
    :param settings: the resolved settings (secrets included: keep them out of messages).
    :param progress: ``progress(advance=n, total=t)`` moves the progress bar; call it with ``total`` once
        known (e.g. from the first page) and ``advance`` per user yielded or page read.
    :param warnings: the non-fatal problems recorded so far by :meth:`warn`, each once, in order.
    """

    connection: str
    settings: Mapping[str, str]
    progress: Callable[..., None] = lambda **_: None
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Record a non-fatal problem, shown after the sync and kept in the run's notes (repeats are dropped)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a retry's backoff, a ``Retry-After``); raises ``Interrupted`` at once on Ctrl-C/SIGTERM."""
        from . import cancel

        cancel.sleep(seconds)


@dataclass(frozen=True)
class DemoSnapshot:
    """The state of a demo account at one moment: sync ``settings`` as if it were ``at``.

    ``prices`` (licence type -> monthly price of one seat, in ``currency``) are sample list prices the
    demo writes into its config file so its reports show costs; the last snapshot's are used.
    """

    at: datetime
    settings: Mapping[str, str]
    prices: Mapping[str, float] = field(default_factory=dict)
    currency: str = "USD"


class Provider(Generic[SessionT]):
    """Base class for a licence provider. Subclass it, set the class attributes, implement the methods.

    Parametrise it with the type of the session ``authenticate`` returns (``class MyProvider(Provider[MyClient])``)
    so ``fetch`` receives that type without checking it. The engine owns both: it closes the ``fetch`` generator
    and calls the session's ``close()`` (when it has one) once the run ends, on success and failure alike.
    """

    #: Short identifier used in config files and on the command line, e.g. ``"zoom"``.
    name: ClassVar[str]
    #: Human-readable name, e.g. ``"Zoom"``.
    title: ClassVar[str] = ""
    #: The settings a connection of this provider needs.
    settings: ClassVar[tuple[Setting, ...]] = ()
    #: The application (the tool its seats are for) a connection of this provider tracks, e.g. ``"Zoom"``; empty
    #: means the provider's title. None means one provider serves many tools (CSV exports): each connection must
    #: say which, with ``application = "..."`` in its config table.
    application: ClassVar[str | None] = ""
    #: Whether the provider reads exports (files) that may be older than today: ``sync --as-of DATE`` then records
    #: a connection's export as of the day it was taken, so a past month can include it.
    exports: ClassVar[bool] = False
    #: Whether the provider can list the organisation's people: its ``fetch`` then also yields one
    #: :class:`~seatkeeper.schema.Person` per person (licensed or not), and a connection of it may serve as a
    #: directory.
    directory: ClassVar[bool] = False

    def authenticate(self, settings: Mapping[str, str]) -> SessionT:
        """Check the credentials in ``settings`` and return a session object passed to :meth:`fetch`.

        Raise :class:`~seatkeeper.errors.AuthenticationError` when the provider rejects them.
        """
        return None  # type: ignore[return-value]

    def fetch(self, session: SessionT, context: FetchContext) -> Iterator[SeatRecord | Rejected | SeatPlan | Person]:
        """Yield every user of the account as a :class:`SeatRecord` (or :class:`Rejected`), plus any :class:`SeatPlan`,
        and, for a directory, one :class:`Person` per person.

        Must list all users, whatever their status: a user not yielded is treated as having lost their seat.
        """
        raise NotImplementedError

    @contextlib.contextmanager
    def demo(self) -> Iterator[list[DemoSnapshot]]:
        """Optionally offer sample data for ``seatkeeper demo``.

        Yield a list of :class:`DemoSnapshot`, oldest first: the demo syncs each one with the clock set to
        its date, so the demo database has a few months of history. The default offers none (an empty
        list). A provider may start a local server here and stop it on exit.
        """
        yield []


@contextlib.contextmanager
def provider_items(provider: Provider, settings: Mapping[str, str], context: FetchContext) -> Iterator[Iterator[Any]]:
    """Authenticate and start ``fetch``, as the engine does; on leaving, close the generator, then the session.

    The session is closed only when it has a ``close()`` method; both are closed whether the block succeeds or not.
    """
    session = provider.authenticate(settings)
    try:
        items = provider.fetch(session, context)
        try:
            yield items
        finally:
            close_items = getattr(items, "close", None)
            if close_items is not None:
                close_items()
    finally:
        close_session = getattr(session, "close", None)
        if callable(close_session):
            close_session()
