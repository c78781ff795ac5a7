"""The contract kit itself: each check fails for the provider bug it is there to catch.

The checks are tried directly, then whole ``ProviderContract`` subclasses run in an inner pytest session
(pytester) to show a buggy provider fails exactly the checks it should, and the marker selects them.
"""

from __future__ import annotations

import pytest

from seatkeeper import AuthenticationError, Provider, Rejected, SeatPlan, SeatRecord, Setting
from seatkeeper.testing import check_declaration, check_error, check_items, check_no_secret

pytest_plugins = ["pytester"]


def declared(name="good", title="Good", settings=()):
    return type("Declared", (Provider,), {"name": name, "title": title, "settings": settings})()


def seat(n, **fields):
    return SeatRecord(
        **{"user_id": f"u{n}", "email": f"u{n}@example.com", "license_type": "Pro", "billable": True, **fields}
    )


# ---- checks, one bug each ------------------------------------------------------------------------------


def test_a_well_declared_provider_passes():
    check_declaration(
        declared(
            settings=(
                Setting("client_secret", "secret", secret=True, env="GOOD_CLIENT_SECRET"),
                Setting("token_url", "where tokens come from", required=False, default="https://x"),
            )
        )
    )


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (declared(name="Bad Name"), "provider name 'Bad Name' must be lower-case"),
        (declared(title=""), "set a one-line title"),
        (declared(settings=(Setting("ClientId", "x"),)), "use lower_snake_case"),
        (declared(settings=(Setting("a", "x"), Setting("a", "y"))), "declared twice"),
        (declared(settings=(Setting("provider", "x"),)), "'provider' is reserved"),
        (declared(settings=(Setting("token_env", "x"),)), "the '_env' suffix"),
        (declared(settings=(Setting("a", ""),)), "needs a one-line description"),
        (declared(settings=(Setting("a", "x", env="zoom-id"),)), "is not an environment variable name"),
        (declared(settings=(Setting("a", "x", secret=True, default="hunter22"),)), "a default would put it"),
        (declared(settings=(Setting("api_key", "key"),)), "looks like a secret"),
        (declared(settings=(Setting("client_secret", "secret"),)), "looks like a secret"),
    ],
)
def test_declaration_mistakes_are_caught(provider, message):
    with pytest.raises(AssertionError, match=message):
        check_declaration(provider)


def test_public_settings_exempt_a_secret_looking_name():
    check_declaration(declared(settings=(Setting("sort_key", "x"),)), public_settings=["sort_key"])


def test_valid_items_pass():
    check_items([seat(1), seat(2, user_id=None), Rejected(reason="bad row", key="u9"), SeatPlan(plan="Pro")])


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"user_id": "u1", "license_type": "Pro", "billable": True}], "not dict"),
        ([seat(1), seat(1, name="again")], "seat key 'u1' already yielded by item 0"),
        (
            [SeatRecord.model_construct(user_id="u1", email="U1@X.io", license_type="Pro", billable=True)],
            "not normalized",
        ),
        ([SeatRecord.model_construct(**{**seat(1).__dict__, "billable": 1})], "billable must be a bool"),
        ([SeatRecord.model_construct(**{**seat(1).__dict__, "email": "not-an-address"})], "email 'not-an-address'"),
        (
            [SeatRecord.model_construct(**{**seat(1).__dict__, "extras": {"raw": object()}})],
            "not normalized|extras must",
        ),
        ([Rejected(reason=" ")], "a Rejected needs a reason"),
        ([SeatPlan(plan="Pro"), SeatPlan(plan="Pro")], "plan 'Pro' yielded twice"),
    ],
)
def test_item_mistakes_are_caught(items, message):
    with pytest.raises(AssertionError, match=message):
        check_items(items)


def test_errors_must_be_seatkeeper_errors_on_one_line_without_secrets():
    check_error(AuthenticationError("bad token"), (AuthenticationError,), ["s3cr3t-value"])
    with pytest.raises(AssertionError, match="raised KeyError: 'access_token'; wrap it in a seatkeeper error"):
        check_error(KeyError("access_token"), (AuthenticationError,), [])
    with pytest.raises(AssertionError, match="one line"):
        check_error(AuthenticationError("bad\ntoken"), (AuthenticationError,), [])
    with pytest.raises(AssertionError, match="the error message contains a secret value"):
        check_error(AuthenticationError("token s3cr3t-value refused"), (AuthenticationError,), ["s3cr3t-value"])


def test_short_secret_values_are_not_searched_for():
    check_no_secret(["a b c"], ["b", ""], "text")
    with pytest.raises(AssertionError):
        check_no_secret(["xx-secret-xx"], ["secret"], "text")


# ---- whole contract runs ---------------------------------------------------------------------------------

CONTRACT_MODULE = """
import pytest
from seatkeeper import AuthenticationError, Provider, SeatRecord, Setting
from seatkeeper.testing import ProviderContract

SECRET = "very-secret-token"


class Base(Provider):
    name = "inner"
    title = "Inner"
    settings = (Setting("token", "API token", secret=True),)

    def authenticate(self, settings):
        if settings["token"] != SECRET:
            raise AuthenticationError("token refused")
        return settings["token"]

    def fetch(self, session, context):
        yield SeatRecord(user_id="1", email="a@example.com", license_type="Pro", billable=True)


class Leaky(Base):
    def fetch(self, session, context):
        context.warn(f"used token {session}")
        yield SeatRecord(user_id="1", email="a@example.com", license_type="Pro", billable=True, extras={"t": session})


class Crashy(Base):
    def authenticate(self, settings):
        return {"ok": False}["token"]


class Volatile(Base):
    def fetch(self, session, context):
        import uuid
        yield SeatRecord(user_id="1", email="a@example.com", license_type="Pro", billable=True, extras={"request": uuid.uuid4().hex})


class Contract(ProviderContract):
    @pytest.fixture
    def settings(self):
        return {"token": SECRET}

    @pytest.fixture
    def bad_settings(self):
        return {"token": "wrong-token"}


class TestBase(Contract):
    @pytest.fixture
    def provider(self):
        return Base()


class TestLeaky(Contract):
    @pytest.fixture
    def provider(self):
        return Leaky()


class TestCrashy(Contract):
    @pytest.fixture
    def provider(self):
        return Crashy()


class TestVolatile(Contract):
    @pytest.fixture
    def provider(self):
        return Volatile()


def test_unrelated():
    assert True
"""


@pytest.fixture
def contract_run(pytester):
    """Run the inner contract module; returns {test id suffix: outcome}."""
    pytester.makepyfile(test_inner=CONTRACT_MODULE)

    def run(*args: str) -> dict[str, str]:
        result = pytester.runpytest("-p", "no:cacheprovider", "-rA", *args)
        outcomes = {}
        for report in result.reprec.getreports("pytest_runtest_logreport"):
            if report.when == "call" or report.outcome != "passed":
                outcomes[report.nodeid.split("::", 1)[1]] = report.outcome
        return outcomes

    return run


def test_contract_passes_a_correct_provider_and_fails_each_buggy_one_where_it_should(contract_run):
    outcomes = contract_run()
    failed = {test for test, outcome in outcomes.items() if outcome == "failed"}
    assert not {test for test in failed if test.startswith("TestBase::")}, failed
    assert outcomes["TestBase::test_syncs_into_a_database"] == "passed"
    assert outcomes["TestBase::test_empty_account_yields_no_seats"] == "skipped"
    assert failed == {
        "TestLeaky::test_records_and_warnings_hold_no_secret",
        "TestCrashy::test_authenticates",
        "TestCrashy::test_fetch_yields_normalized_records",
        "TestCrashy::test_records_and_warnings_hold_no_secret",
        "TestCrashy::test_bad_settings_raise_a_seatkeeper_error",
        "TestCrashy::test_syncs_into_a_database",
        "TestCrashy::test_second_sync_changes_nothing",
        "TestVolatile::test_second_sync_changes_nothing",
    }


def test_marker_selects_only_contract_checks(contract_run):
    outcomes = contract_run("-m", "seatkeeper_contract")
    assert outcomes and "test_unrelated" not in outcomes
    assert contract_run("-m", "not seatkeeper_contract") == {"test_unrelated": "passed"}
