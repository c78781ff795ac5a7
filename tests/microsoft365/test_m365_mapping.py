"""Mapping Graph users to seats and people, SKUs to names, billing and plans (no HTTP: the functions themselves)."""

from __future__ import annotations

import copy

import pytest

from seatkeeper import PersonStatus, Rejected, SeatRecord, SeatStatus
from seatkeeper.errors import BadProviderData, ConfigError
from seatkeeper_microsoft365.clouds import endpoints
from seatkeeper_microsoft365.mapping import person_of, seats_of
from seatkeeper_microsoft365.skus import SkuCatalog, decide_billable

from .m365_testkit import COPILOT, E3, FLOW_FREE, pack_json, sample_skus, sample_users

UNKNOWN_SKU = "0badc0de-0000-4000-8000-000000000000"


def catalog(**kwargs):
    return SkuCatalog(sample_skus(), **kwargs)


def user(number: int) -> dict:
    return copy.deepcopy(sample_users()[number - 1])


def test_one_seat_per_sku_keyed_by_user_and_sku():
    seats = seats_of(user(1), catalog())
    assert [seat.key for seat in seats] == [
        f"0a1b2c3d-0001-4000-8000-000000000001:{E3}",
        f"0a1b2c3d-0001-4000-8000-000000000001:{COPILOT}",
    ]
    assert seats[0].extras == {
        "user_id": "0a1b2c3d-0001-4000-8000-000000000001",
        "sku_id": E3,
        "sku_part_number": "SPE_E3",
        "user_type": "Member",
        "guest": False,
    }
    assert (seats[0].department, seats[0].role) == ("IT", "IT lead")


def test_same_sku_twice_is_one_seat():
    ana = user(1)
    ana["assignedLicenses"].append({"skuId": E3.upper(), "disabledPlans": []})
    assert len(seats_of(ana, catalog())) == 2


def test_guests_and_invitations():
    kofi = user(6)  # a guest still invited
    kofi["assignedLicenses"] = [{"skuId": E3, "disabledPlans": []}]
    (seat,) = seats_of(kofi, catalog())
    assert seat.status is SeatStatus.PENDING and seat.role == "Guest" and seat.extras["guest"] is True
    assert seat.email == "kofi@client.example.org"


def test_disabled_user_is_inactive_and_unknown_enabled_is_unknown():
    zoe = user(4)
    assert seats_of(zoe, catalog())[0].status is SeatStatus.INACTIVE
    zoe["accountEnabled"] = None
    assert seats_of(zoe, catalog())[0].status is SeatStatus.UNKNOWN


def test_last_activity_prefers_the_last_successful_sign_in():
    juergen = user(2)
    assert seats_of(juergen, catalog())[0].last_activity_at.isoformat() == "2026-11-30T06:00:00+00:00"
    juergen["signInActivity"]["lastSuccessfulSignInDateTime"] = None
    assert seats_of(juergen, catalog())[0].last_activity_at.isoformat() == "2026-11-29T07:55:00+00:00"
    juergen["signInActivity"] = None
    assert seats_of(juergen, catalog())[0].last_activity_at is None


def test_unknown_license_shape_fails_loudly():
    ana = user(1)
    ana["assignedLicenses"] = {"skuId": E3}
    with pytest.raises(BadProviderData, match="assignedLicenses of an unknown shape"):
        seats_of(ana, catalog())


def test_a_licensed_user_without_id_is_rejected():
    ana = user(1)
    del ana["id"]
    (item,) = seats_of(ana, catalog())
    assert isinstance(item, Rejected)


def test_person_aliases_status_and_cost_center():
    ana = user(1)
    ana["proxyAddresses"] = ["SMTP:ana.nunez@example.com", "smtp:ana@example.co.uk", "SIP:ana@example.com", "X500:/o=x"]
    ana["otherMails"] = ["Ana.Private@example.net"]
    ana["userPrincipalName"] = "anunez@example.onmicrosoft.com"
    ana["employeeOrgData"] = {"costCenter": "CC-100", "division": "IT"}
    person = person_of(ana)
    assert person.email == "ana.nunez@example.com"
    assert person.aliases == ("ana.private@example.net", "ana@example.co.uk", "anunez@example.onmicrosoft.com")
    assert (person.cost_center, person.job_title, person.department) == ("CC-100", "IT lead", "IT")
    assert person.status is PersonStatus.ACTIVE and person.manager_email is None
    ana["accountEnabled"] = False
    assert person_of(ana).status is PersonStatus.SUSPENDED
    ana["deletedDateTime"] = "2026-11-01T00:00:00Z"
    deleted = person_of(ana)
    assert deleted.status is PersonStatus.DELETED and deleted.status_since.isoformat() == "2026-11-01T00:00:00+00:00"


def test_guest_person_uses_mail_not_the_ext_upn():
    person = person_of(user(5))
    assert person.email == "ines@partner.example.net" and person.aliases == ()


@pytest.mark.parametrize(
    ("part", "name", "known", "billable"),
    [
        ("SPE_E3", "Microsoft 365 E3", True, True),
        ("FLOW_FREE", "Microsoft Power Automate Free", True, False),
        ("POWERAPPS_VIRAL", "Microsoft Power Apps Plan 2 Trial", True, False),
        ("POWER_BI_STANDARD", "Microsoft Fabric (Free)", True, False),
        ("MS_TEAMS_IW", "Microsoft Teams Trial", True, False),
        ("POWERAPPS_DEV", "Microsoft Power Apps for Developer", True, False),
        ("Dynamics_365_Sales_Premium_Viral_Trial", None, False, False),
        ("CONTOSO_NEW_SKU", None, False, None),
    ],
)
def test_billable_decisions(part, name, known, billable):
    assert decide_billable(part, name, known=known) is billable


def test_undecided_skus_count_as_billable_and_settings_decide():
    skus = [*sample_skus(), {"skuId": UNKNOWN_SKU, "skuPartNumber": "CONTOSO_NEW_SKU", "prepaidUnits": {"enabled": 1}}]
    undecided = SkuCatalog(skus)
    assert [sku.part_number for sku in undecided.undecided()] == ["CONTOSO_NEW_SKU"]
    assert undecided.get(UNKNOWN_SKU).counted_billable is True
    decided = SkuCatalog(skus, free_skus="contoso_new_sku", paid_skus=FLOW_FREE)
    assert decided.undecided() == []
    assert decided.get(UNKNOWN_SKU).billable is False and decided.get(FLOW_FREE).billable is True


def test_names_unknown_skus_by_part_number_or_id():
    skus = SkuCatalog([{"skuId": UNKNOWN_SKU, "skuPartNumber": "CONTOSO_NEW_SKU", "prepaidUnits": {"enabled": 1}}])
    assert skus.get(UNKNOWN_SKU).name == "CONTOSO_NEW_SKU"
    other = "0badc0de-0000-4000-8000-000000000001"
    assert skus.get(other).name == other and other in skus.unsubscribed


def test_plans_count_enabled_units_and_report_the_rest():
    plans, warnings = SkuCatalog(pack_json("subscribedSkus.json")["value"]).plans()
    by_part = {plan.extras["sku_part_number"]: plan for plan in plans}
    assert (by_part["SPE_E3"].purchased, by_part["SPE_E3"].assigned) == (10, 7)
    assert (by_part["SPB"].purchased, by_part["SPB"].extras["suspended_units"]) == (0, 5)
    assert by_part["FLOW_FREE"].extras["billable"] is False
    # A free SKU's 10,000 units are not purchased seats.
    assert (by_part["FLOW_FREE"].purchased, by_part["FLOW_FREE"].extras["enabled_units"]) == (None, 10000)
    assert len(warnings) == 2 and all("not counted as purchased" in warning for warning in warnings)


def test_malformed_units_fail_loudly():
    skus = sample_skus()
    skus[0]["prepaidUnits"]["enabled"] = "10"
    with pytest.raises(BadProviderData, match="prepaidUnits.enabled"):
        SkuCatalog(skus).plans()


@pytest.mark.parametrize(
    ("cloud", "authority", "scope"),
    [
        ("global", "https://login.microsoftonline.com/t", "https://graph.microsoft.com/.default"),
        ("usgov", "https://login.microsoftonline.us/t", "https://graph.microsoft.us/.default"),
        ("usgov-dod", "https://login.microsoftonline.us/t", "https://dod-graph.microsoft.us/.default"),
        ("china", "https://login.chinacloudapi.cn/t", "https://microsoftgraph.chinacloudapi.cn/.default"),
    ],
)
def test_national_clouds(cloud, authority, scope):
    where = endpoints(cloud, "t")
    assert (where.authority, where.scope, where.graph_url) == (authority, scope, scope.replace("/.default", "/v1.0"))


def test_plain_http_graph_only_on_this_machine():
    assert endpoints("global", "t", graph_url="http://127.0.0.1:8080/v1.0").scope == "http://127.0.0.1:8080/.default"
    with pytest.raises(ConfigError):
        endpoints("global", "t", graph_url="http://10.0.0.1/v1.0")


def test_seat_records_are_normalized():
    for number in range(1, 10):
        for seat in seats_of(user(number), catalog()):
            assert isinstance(seat, SeatRecord) and SeatRecord.model_validate(seat.model_dump()) == seat
