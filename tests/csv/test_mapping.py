"""Rows to seats: which columns are used, licence types and billing, statuses, dates, extras, rejected rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from seatkeeper import Rejected, SeatStatus
from seatkeeper.errors import BadProviderData

from .conftest import FIGMA, FIGMA_SETTINGS, dedent, read


def test_figma_style_export_maps_every_field(export):
    fetched = read(export(FIGMA), **FIGMA_SETTINGS)
    ada, grace, alan, edsger, barbara = fetched.records
    assert (ada.email, ada.name, ada.license_type, ada.billable, ada.role) == (
        "ada@example.com",
        "Ada Lovelace",
        "Admin",
        True,
        "Admin",
    )
    assert ada.last_activity_at == datetime(2026, 1, 14, tzinfo=UTC)
    assert ada.created_at == datetime(2024, 2, 3, tzinfo=UTC)
    assert ada.user_id is None and ada.key == "email:ada@example.com"
    assert (alan.license_type, alan.billable, alan.last_activity_at) == ("Viewer", False, None)
    assert (edsger.status, barbara.status, grace.status) == (SeatStatus.INACTIVE, SeatStatus.PENDING, SeatStatus.ACTIVE)
    assert fetched.warnings == []
    assert fetched.progress[0] == {"total": 5}


def test_two_lines_of_config_need_only_the_path(export):
    path = export("User ID,Email Address,Display Name,License Type,Account Status\n7,a@x.io,A,Pro,Suspended\n")
    [record] = read(path).records
    assert (record.user_id, record.email, record.name, record.license_type, record.status) == (
        "7",
        "a@x.io",
        "A",
        "Pro",
        SeatStatus.INACTIVE,
    )
    assert record.billable is True  # no billing rule: an export of paid seats


def test_configured_column_names_win_over_well_known_headers(export):
    path = export("Email,Work mail,Name\nold@example.com,new@example.com,N\n")
    [record] = read(path, email_column="Work mail").records
    assert record.email == "new@example.com"


def test_missing_configured_column_names_the_columns_that_exist(export):
    with pytest.raises(BadProviderData) as raised:
        read(export(FIGMA), last_activity_column="Last seen")
    assert str(raised.value) == (
        "figma.csv: no column 'Last seen' (last_activity_column); the file's columns are "
        "'Name', 'Email', 'Role', 'Status', 'Last active', 'Date added', 'Team'"
    )


def test_a_file_without_email_or_id_column_says_which_columns_it_has(export):
    with pytest.raises(BadProviderData, match="no email or user id column found; set email_column .*'Login'"):
        read(export("Login,Name\nada,Ada\n"))


def test_column_set_to_none_is_not_used_even_with_a_well_known_header(export):
    path = export("ID,Email\n1,a@example.com\n")
    assert read(path).records[0].key == "1"
    assert read(path, user_id_column="none").records[0].key == "email:a@example.com"


def test_duplicate_mapped_header_is_an_error(export):
    with pytest.raises(BadProviderData, match="columns 1 and 3 are both called 'email'"):
        read(export("Email,Name,email\na@example.com,A,b@example.com\n"))


def test_first_and_last_name_columns_make_the_name(export):
    [record] = read(export("Email,First Name,Last Name\na@example.com,Ada,Lovelace\n")).records
    assert record.name == "Ada Lovelace"


def test_licence_type_setting_fills_files_without_one(export):
    path = export("Email,Plan\na@example.com,\nb@example.com,Enterprise\n")
    assert [r.license_type for r in read(path, license_type="Member").records] == ["Member", "Enterprise"]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({}, [True, True, True]),
        ({"billable_types": "editor , ADMIN"}, [True, True, False]),
        ({"free_types": "Viewer"}, [True, True, False]),
        ({"billable_types": "Editor,Admin", "free_types": "Viewer"}, [True, True, False]),
    ],
)
def test_billable_follows_the_licence_type_rule(export, rule, expected):
    path = export("Email,Seat\na@x.io,Admin\nb@x.io,Editor\nc@x.io,Viewer\n")
    assert [r.billable for r in read(path, license_column="Seat", **rule).records] == expected


def test_unlisted_licence_type_fails_when_both_lists_are_given(export):
    path = export("Email,Seat\na@x.io,Admin\nb@x.io,Dev Mode\n")
    with pytest.raises(BadProviderData, match="figma.csv line 3: licence type 'Dev Mode' is in neither"):
        read(path, license_column="Seat", billable_types="Admin", free_types="Viewer")


def test_billable_column_decides_when_configured(export):
    path = export("Email,Paid seat\na@x.io,Yes\nb@x.io,no\nc@x.io,\nd@x.io,maybe\n")
    with pytest.raises(BadProviderData, match="line 5: billable value 'maybe' is not yes/no"):
        read(path, billable_column="Paid seat")
    path = export("Email,Paid seat\na@x.io,Yes\nb@x.io,no\nc@x.io,\n")
    assert [r.billable for r in read(path, billable_column="Paid seat").records] == [True, False, False]


def test_status_map_adds_words_and_unknown_statuses_get_one_hint_keeping_the_setting(export):
    text = "Email,Status\na@x.io,On leave\nb@x.io,On leave\nc@x.io,Guest-invited\nd@x.io,\ne@x.io,Parked\n"
    fetched = read(export(text), status_map="Guest-invited = pending", license_type="Pro", free_types="Basic")
    assert [r.status for r in fetched.records] == [
        SeatStatus.UNKNOWN,
        SeatStatus.UNKNOWN,
        SeatStatus.PENDING,
        SeatStatus.ACTIVE,
        SeatStatus.UNKNOWN,
    ]
    assert fetched.warnings == [
        "figma.csv: status words 'On leave', 'Parked' are not known, so those seats were stored as unknown; map them, "
        'e.g. status_map = "Guest-invited = pending, On leave=inactive, Parked=inactive" (each target one of active, '
        "inactive, pending, unknown)"
    ]


def test_an_export_without_licence_column_or_rule_warns_that_every_seat_counted_as_paid(export):
    fetched = read(export("Email,Name\na@x.io,A\nb@x.io,B\n"))
    assert [r.billable for r in fetched.records] == [True, True]
    assert fetched.warnings == [
        "figma.csv: no licence column was found or mapped, so every seat counted as a paid 'Licensed' seat; "
        "set license_column (or billable_types/free_types) if some are free"
    ]
    assert read(export("Email,Seat type\na@x.io,Full\n")).warnings == []  # a licence column: no warning


def test_bad_date_names_file_line_value_and_format(export):
    text = FIGMA + "Ken Thompson,ken@example.com,Editor,Active,31/13/2026,01/01/2025,Research\n"
    with pytest.raises(BadProviderData) as raised:
        read(export(text), **FIGMA_SETTINGS)
    assert str(raised.value) == "figma.csv line 7: last activity '31/13/2026' does not match date format %d/%m/%Y"


def test_iso_dates_are_the_default_and_a_bad_one_says_to_set_date_format(export):
    path = export("Email,Created\na@x.io,2025-03-04T10:00:00Z\nb@x.io,2025-03-04\nc@x.io,04.03.2025\n")
    with pytest.raises(BadProviderData, match=r"line 4: created '04.03.2025' does not match date format ISO 8601"):
        read(path)


def test_alternative_formats_timezone_unix_and_never(export):
    text = dedent(
        """
        Email,Last login,Created
        a@x.io,2026-01-05 09:30,1700000000
        b@x.io,05.01.2026,1700000000
        c@x.io,Never,1700000000
        """
    )
    fetched = read(export(text), date_format="%Y-%m-%d %H:%M | %d.%m.%Y | unix", timezone="Europe/Berlin")
    a, b, c = fetched.records
    assert a.last_activity_at == datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    assert b.last_activity_at == datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=1)))
    assert c.last_activity_at is None
    assert a.created_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_extra_columns_are_kept_and_must_exist(export):
    path = export("Email,Cost center,Manager\na@x.io,CC-12,Grace\n")
    [record] = read(path, extra_columns="Cost center, manager").records
    assert record.extras == {"Cost center": "CC-12", "Manager": "Grace"}
    with pytest.raises(BadProviderData, match="no column 'Office' \\(extra_columns\\)"):
        read(path, extra_columns="Office")


def test_rows_without_identity_or_with_a_non_address_email_are_rejected_with_their_line(export):
    text = "User ID,Email,Name\n1,a@x.io,A\n,,Nobody\n3,not-an-address,C\n4,-,D\n"
    fetched = read(export(text))
    assert [r.key for r in fetched.records] == ["1", "4"]
    assert fetched.rejected == [
        Rejected(reason="figma.csv line 3: a seat needs a user id or an email", key=None),
        Rejected(reason="figma.csv line 4: email 'not-an-address' is not an address", key="3"),
    ]
