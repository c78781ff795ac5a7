"""Testing a provider plugin: helpers, and a contract test class any provider runs against itself.

Subclass :class:`ProviderContract` in a test module and define fixtures describing your provider::

    from seatkeeper.testing import ProviderContract

    class TestMyProviderContract(ProviderContract):
        @pytest.fixture
        def provider(self):
            return MyProvider()

        @pytest.fixture
        def settings(self, fake_api):  # fixtures may depend on others, e.g. a local HTTP server
            return {"api_url": fake_api.url, "token": "test-token-123"}

Every ``test_*`` method of the class then runs against your provider. Optional fixtures (``empty_settings``,
``bad_settings``, ``malformed_settings``, ``plugin``) return None by default, which skips their checks with
a message saying what to define. ``docs/plugins.md`` lists the checks.

The helpers (:func:`fetch_all`, :func:`sync`, :func:`stored_seats` ...) serve a plugin's own tests too.
This module needs pytest; seatkeeper itself never imports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from . import db, queries
from .config import CONNECTION_KEYS, Config, ConnectionConfig, resolve_settings
from .errors import ConfigError, ProviderError
from .plugins import Plugins
from .provider import FetchContext, Provider, Setting, provider_items
from .schema import Person, Rejected, SeatPlan, SeatRecord, SeatStatus
from .sync import SyncResult, sync_connection

CONNECTION = "contract"
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
SETTING_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
RESERVED_SETTINGS = {"provider"}  # the config file's own key in a connection table
SECRET_WORDS = {"secret", "password", "passwd", "passphrase", "token", "key", "apikey", "credentials"}
FIRST_SYNC = datetime(2026, 1, 15, tzinfo=UTC)
SECOND_SYNC = datetime(2026, 2, 15, tzinfo=UTC)


# ---- helpers ---------------------------------------------------------------------------------------------


@dataclass
class Fetched:
    """Everything one ``authenticate`` + ``fetch`` produced, with what the provider told its context."""

    items: list[Any]
    warnings: list[str] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> list[SeatRecord]:
        """The seats yielded."""
        return [item for item in self.items if isinstance(item, SeatRecord)]

    @property
    def rejected(self) -> list[Rejected]:
        """The records the provider could not map."""
        return [item for item in self.items if isinstance(item, Rejected)]

    @property
    def plans(self) -> list[SeatPlan]:
        """The purchased-seat plans yielded."""
        return [item for item in self.items if isinstance(item, SeatPlan)]


def resolve(provider: Provider, settings: Mapping[str, Any]) -> dict[str, str]:
    """``settings`` as the config file would give them: undeclared names refused, defaults applied.

    The environment is ignored (``Setting.env`` does not apply), so tests do not depend on the machine.
    Raises :class:`~seatkeeper.errors.ConfigError` as ``seatkeeper sync`` would.
    """
    values = {key: value for key, value in settings.items() if key not in CONNECTION_KEYS}
    connection = ConnectionConfig(CONNECTION, provider.name, values, application=settings.get("application"))
    return resolve_settings(connection, provider, Config(path=Path("<test settings>")), environ={})


def fetch_all(provider: Provider, settings: Mapping[str, Any], connection: str = CONNECTION) -> Fetched:
    """Resolve ``settings``, authenticate and list everything ``fetch`` yields, as the engine would."""
    resolved = resolve(provider, settings)
    fetched = Fetched(items=[])

    def progress(**kwargs: Any) -> None:
        fetched.progress.append(kwargs)

    context = FetchContext(connection, resolved, progress=progress, warnings=fetched.warnings)
    with provider_items(provider, resolved, context) as items:
        fetched.items = list(items)
    return fetched


def open_database(path: Path) -> Engine:
    """A migrated SQLite database in the file ``path`` (dispose the engine when done)."""
    return db.open_engine(f"sqlite:///{path}")


def sync(
    engine: Engine,
    provider: Provider,
    settings: Mapping[str, Any],
    *,
    connection: str = CONNECTION,
    now: datetime | None = None,
    allow_empty: bool = False,
    allow_shrink: bool = False,
) -> SyncResult:
    """Sync ``provider`` with ``settings`` into ``engine`` through the real engine, as ``seatkeeper sync`` does
    (``allow_empty`` and ``allow_shrink`` as its ``--allow-empty`` and ``--allow-shrink``)."""
    resolved = resolve(provider, settings)
    connection_config = ConnectionConfig(connection, provider.name, application=settings.get("application"))
    return sync_connection(
        engine, connection_config, provider, resolved, now=now, allow_empty=allow_empty, allow_shrink=allow_shrink
    )


def stored_seats(engine: Engine, connection: str = CONNECTION) -> list[dict[str, Any]]:
    """The seats currently stored for ``connection``, as ``seatkeeper licenses`` lists them."""
    return queries.seats(engine, connection=connection)


# ---- checks (plain assertions, usable outside the contract class) ----------------------------------------


def check_declaration(provider: Provider, public_settings: Iterable[str] = ()) -> None:
    """Assert the provider's name, title and settings are what the config file and CLI can work with."""
    assert isinstance(provider, Provider), f"{provider!r} is not a seatkeeper.Provider"
    name = getattr(provider, "name", None)
    assert isinstance(name, str) and PROVIDER_NAME.match(name), (
        f"provider name {name!r} must be lower-case letters, digits, '-' or '_' (it is a config table key)"
    )
    assert provider.title and "\n" not in provider.title, "set a one-line title, e.g. title = 'Zoom'"
    seen: set[str] = set()
    public = set(public_settings)
    for setting in provider.settings:
        assert isinstance(setting, Setting), f"{setting!r} in {name}.settings is not a seatkeeper.Setting"
        label = f"setting {setting.name!r}"
        assert SETTING_NAME.match(setting.name), f"{label}: use lower_snake_case (a config file key)"
        assert setting.name not in seen, f"{label} is declared twice"
        seen.add(setting.name)
        assert setting.name not in RESERVED_SETTINGS, f"{label}: 'provider' is reserved by the config file"
        assert not setting.name.endswith("_env"), f"{label}: the '_env' suffix names an env variable in config"
        assert setting.description and "\n" not in setting.description, f"{label} needs a one-line description"
        if setting.env is not None:
            assert ENV_NAME.match(setting.env), f"{label}: env {setting.env!r} is not an environment variable name"
        if setting.secret:
            assert setting.default is None, f"{label} is secret: a default would put it in the source"
        elif setting.name not in public:
            words = set(setting.name.split("_"))
            looks_secret = bool(words & SECRET_WORDS) and setting.name.split("_")[-1] in SECRET_WORDS
            assert not looks_secret, (
                f"{label} looks like a secret: declare it secret=True (or list it in public_settings)"
            )


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def check_items(items: Iterable[Any], *, directory: bool = False) -> None:
    """Assert every yielded item is a valid, normalized SeatRecord, Rejected or SeatPlan (and, for a
    ``directory``, Person), seat keys and people's emails unique."""
    keys: dict[str, int] = {}
    plans: set[str] = set()
    people: dict[str, int] = {}
    kinds = (SeatRecord, Rejected, SeatPlan, Person) if directory else (SeatRecord, Rejected, SeatPlan)
    for index, item in enumerate(items):
        where = f"item {index} ({type(item).__name__})"
        assert isinstance(item, kinds), (
            f"{where}: yield {', '.join(kind.__name__ for kind in kinds)} objects, not {type(item).__name__}"
            + ("" if directory or not isinstance(item, Person) else " (set directory = True on a directory)")
        )
        if isinstance(item, Person):
            try:
                assert Person.model_validate(item.model_dump()) == item, f"{where}: not normalized: {item!r}"
            except ValidationError as error:
                raise AssertionError(f"{where}: not a valid Person (built with model_construct?): {error}") from None
            assert item.email not in people, (
                f"{where}: person {item.email!r} already yielded by item {people[item.email]}"
            )
            people[item.email] = index
            continue
        if isinstance(item, Rejected):
            assert item.reason.strip(), f"{where}: a Rejected needs a reason"
            continue
        if isinstance(item, SeatPlan):
            assert item.plan not in plans, f"{where}: plan {item.plan!r} yielded twice"
            plans.add(item.plan)
            continue
        assert type(item.billable) is bool, f"{where}: billable must be a bool"
        assert isinstance(item.status, SeatStatus), f"{where}: status must be a SeatStatus"
        try:
            revalidated = SeatRecord.model_validate(item.model_dump())
        except ValidationError as error:
            raise AssertionError(f"{where}: not a valid record (built with model_construct?): {error}") from None
        assert revalidated == item, f"{where}: not normalized (built with model_construct?): {item!r}"
        if item.email is not None:
            assert "@" in item.email and item.email == item.email.lower(), f"{where}: email {item.email!r}"
        for stamp in (item.last_activity_at, item.created_at):
            assert stamp is None or stamp.tzinfo is not None, f"{where}: timestamps must be timezone-aware"
        try:
            json.dumps(item.extras, default=_json_default)
        except (TypeError, ValueError) as error:
            raise AssertionError(f"{where}: extras must be JSON-serialisable: {error}") from None
        assert item.key not in keys, f"{where}: seat key {item.key!r} already yielded by item {keys[item.key]}"
        keys[item.key] = index


def check_no_secret(texts: Iterable[str], secrets: Iterable[str], what: str) -> None:
    """Assert no secret value (4 characters or more) appears in any of ``texts``."""
    values = [secret for secret in secrets if secret and len(secret) >= 4]
    for text in texts:
        for secret in values:
            assert secret not in text, f"{what} contains a secret value: {text[:200]!r}"


def item_texts(items: Iterable[Any]) -> list[str]:
    """Every way a yielded item could be shown or stored: repr, str, and its JSON."""
    texts = []
    for item in items:
        texts += [repr(item), str(item)]
        if hasattr(item, "model_dump_json"):
            texts.append(item.model_dump_json())
    return texts


def check_error(error: BaseException, allowed: tuple[type[Exception], ...], secrets: Iterable[str]) -> None:
    """Assert ``error`` is one of the seatkeeper errors ``allowed``, one line, and holds no secret."""
    assert isinstance(error, allowed), (
        f"raised {type(error).__name__}: {error}; wrap it in a seatkeeper error "
        f"({' or '.join(kind.__name__ for kind in allowed)}) with a message for the user"
    )
    message = str(error)
    assert message.strip() and "\n" not in message.strip(), f"error message must be one line: {message!r}"
    check_no_secret([message], secrets, "the error message")


# ---- the contract ----------------------------------------------------------------------------------------


def _error_from(action: Callable[[], object], accepted: str) -> Exception:
    """The exception ``action`` raises (any type: the caller checks it), or a test failure saying ``accepted``."""
    try:
        action()
    except Exception as error:
        return error
    pytest.fail(accepted)


def _skip_unless(value: Any, fixture: str, what: str) -> None:
    if value is None:
        pytest.skip(f"define the {fixture} fixture to check {what}")


class ProviderContract:
    """The checks every provider plugin should pass. Subclass as ``Test...`` and define the fixtures.

    Required fixtures: ``provider`` (a fresh instance) and ``settings`` (a working connection's settings, as
    written in a config file, for an account with at least one user). Optional fixtures: ``empty_settings``
    (an account with no users), ``bad_settings`` (settings the provider must refuse: a wrong secret, a
    missing file), ``malformed_settings`` (an answer that cannot be read, e.g. broken JSON half way),
    ``secret_values`` (extra strings that must never leak, such as an access token your fake API issues)
    and ``plugin`` (your plugin module, to check it registers the provider).
    """

    #: Setting names that look like secrets but are not (e.g. ``"sort_key"``).
    public_settings: tuple[str, ...] = ()

    @pytest.fixture
    def provider(self) -> Provider:
        """Override: a fresh instance of the provider under test."""
        pytest.fail("define a `provider` fixture returning an instance of your Provider")

    @pytest.fixture
    def settings(self) -> Mapping[str, Any]:
        """Override: settings of a working connection whose account has at least one user."""
        pytest.fail("define a `settings` fixture: a working connection's settings, as in the config file")

    @pytest.fixture
    def empty_settings(self) -> Mapping[str, Any] | None:
        """Override: settings of an account with no users (None skips the check)."""
        return None

    @pytest.fixture
    def bad_settings(self) -> Mapping[str, Any] | None:
        """Override: settings the provider must refuse, e.g. a wrong secret (None skips the check)."""
        return None

    @pytest.fixture
    def malformed_settings(self) -> Mapping[str, Any] | None:
        """Override: settings whose data cannot be read, e.g. a broken page half way (None skips)."""
        return None

    @pytest.fixture
    def plugin(self) -> object | None:
        """Override: the plugin module holding the ``register_providers`` hook (None skips the check)."""
        return None

    @pytest.fixture
    def secret_values(self, provider, settings, bad_settings) -> list[str]:
        """Strings that must never appear in records, warnings, notes or errors: by default every secret setting."""
        secret_names = {setting.name for setting in provider.settings if setting.secret}
        given = [*settings.items(), *(bad_settings or {}).items()]
        return [str(value) for name, value in given if name in secret_names]

    # -- declaration

    def test_declares_name_title_and_settings(self, provider):
        """Name is a config key, title is set, settings are well formed and secrets are flagged."""
        check_declaration(provider, self.public_settings)

    def test_settings_fixture_resolves_like_a_config_file(self, provider, settings):
        """The ``settings`` fixture names only declared settings and gives every required one."""
        try:
            resolve(provider, settings)
        except ConfigError as error:
            pytest.fail(f"the settings fixture would not work in a config file: {error}")

    # -- fetching

    def test_authenticates(self, provider, settings):
        """``authenticate`` accepts the working settings."""
        provider.authenticate(resolve(provider, settings))

    def test_fetch_yields_normalized_records(self, provider, settings):
        """At least one seat; every item a valid SeatRecord/Rejected/SeatPlan (Person for a directory); keys unique."""
        fetched = fetch_all(provider, settings)
        assert fetched.records, "the settings fixture's account should hold at least one user"
        check_items(fetched.items, directory=provider.directory)
        for call in fetched.progress:
            assert set(call) <= {"advance", "total"}, f"progress takes advance= and total= only, got {call}"

    def test_records_and_warnings_hold_no_secret(self, provider, settings, secret_values):
        """No secret value in any yielded item's repr, str or JSON, nor in warnings."""
        fetched = fetch_all(provider, settings)
        check_no_secret(item_texts(fetched.items), secret_values, "a yielded item")
        check_no_secret(fetched.warnings, secret_values, "a warning")

    def test_empty_account_yields_no_seats(self, provider, empty_settings, tmp_path):
        """An account without users yields no seat (plans allowed), and syncs as 0 seats."""
        _skip_unless(empty_settings, "empty_settings", "an account with no users")
        fetched = fetch_all(provider, empty_settings)
        assert not fetched.records and not fetched.rejected, f"expected no users, got {fetched.items[:3]}"
        engine = open_database(tmp_path / "empty.db")
        try:
            result = sync(engine, provider, empty_settings)
            assert result.ok, result.error
            assert result.counts["seen"] == 0
        finally:
            engine.dispose()

    def test_bad_settings_raise_a_seatkeeper_error(self, provider, bad_settings, secret_values):
        """Refused settings raise ProviderError (AuthenticationError for credentials) or ConfigError, never a bare error."""
        _skip_unless(bad_settings, "bad_settings", "that refused settings raise a seatkeeper error")
        try:
            resolved = resolve(provider, bad_settings)
        except ConfigError as error:
            pytest.fail(f"bad_settings should resolve (and then be refused by the provider): {error}")

        def authenticate_and_fetch() -> None:
            session = provider.authenticate(resolved)
            list(provider.fetch(session, FetchContext(CONNECTION, resolved)))

        error = _error_from(
            authenticate_and_fetch, "bad_settings were accepted: authenticate or fetch must refuse them"
        )
        check_error(error, (ProviderError, ConfigError), secret_values)

    def test_malformed_data_raises_and_applies_nothing(
        self, provider, settings, malformed_settings, secret_values, tmp_path
    ):
        """Unreadable data raises a ProviderError (e.g. BadProviderData); a sync of it leaves stored seats as they were."""
        _skip_unless(malformed_settings, "malformed_settings", "that unreadable data fails cleanly")
        error = _error_from(lambda: fetch_all(provider, malformed_settings), "malformed data was read without error")
        check_error(error, (ProviderError,), secret_values)
        engine = open_database(tmp_path / "malformed.db")
        try:
            assert sync(engine, provider, settings, now=FIRST_SYNC).ok
            before = stored_seats(engine)
            result = sync(engine, provider, malformed_settings, now=SECOND_SYNC)
            assert not result.ok, "a sync of malformed data must fail"
            check_no_secret([result.error or "", *result.notes], secret_values, "the failed sync's error or notes")
            assert stored_seats(engine) == before, "a failed sync must leave the stored seats unchanged"
        finally:
            engine.dispose()

    # -- through the engine

    def test_syncs_into_a_database(self, provider, settings, secret_values, tmp_path):
        """The real sync engine stores every seat the provider yields, under the provider's name."""
        expected = {record.key for record in fetch_all(provider, settings).records}
        engine = open_database(tmp_path / "sync.db")
        try:
            result = sync(engine, provider, settings, now=FIRST_SYNC)
            assert result.ok, result.error
            assert result.counts["seen"] == len(expected)
            seats = stored_seats(engine)
            assert {seat["provider"] for seat in seats} == {provider.name}
            assert len(seats) == len(expected)
            check_no_secret(result.notes, secret_values, "a sync note")
        finally:
            engine.dispose()

    def test_second_sync_changes_nothing(self, provider, settings, tmp_path):
        """Syncing the same account again records no change (seat keys and state are stable)."""
        engine = open_database(tmp_path / "resync.db")
        try:
            assert sync(engine, provider, settings, now=FIRST_SYNC).ok
            result = sync(engine, provider, settings, now=SECOND_SYNC)
            assert result.ok, result.error
            changes = {name: result.counts[name] for name in ("added", "changed", "removed")}
            assert changes == {"added": 0, "changed": 0, "removed": 0}, (
                f"an unchanged account must sync as unchanged, got {changes}: "
                "are user ids stable, and extras free of per-request values?"
            )
        finally:
            engine.dispose()

    def test_demo_snapshots_sync(self, provider, tmp_path):
        """If the provider offers ``demo()`` data, every snapshot syncs."""
        engine = open_database(tmp_path / "demo.db")
        try:
            with provider.demo() as snapshots:
                if not snapshots:
                    pytest.skip("the provider offers no demo data")
                for snapshot in snapshots:
                    connection = ConnectionConfig(f"{provider.name}-demo", provider.name)
                    result = sync_connection(engine, connection, provider, snapshot.settings, now=snapshot.at)
                    assert result.ok, f"demo snapshot {snapshot.at:%Y-%m-%d}: {result.error}"
        finally:
            engine.dispose()

    def test_plugin_registers_the_provider(self, plugin, provider):
        """The plugin module's ``register_providers`` hook registers a provider of this name."""
        _skip_unless(plugin, "plugin", "that the plugin module registers the provider")
        plugins = Plugins()
        plugins.register(plugin, "contract-plugin")
        assert not plugins.broken, plugins.broken
        registered = plugins.providers.get(provider.name)
        assert registered is not None, f"the plugin registers {sorted(plugins.providers)}, not {provider.name!r}"
        assert type(registered) is type(provider)
