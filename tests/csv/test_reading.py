"""Reading export files as tools write them: BOMs, encodings, delimiters, quoting, blank lines, headers."""

from __future__ import annotations

import codecs

import pytest

from seatkeeper.errors import BadProviderData, ConfigError

from .conftest import dedent, read

PLAIN = "Email,Name\nada@example.com,Ada\ngrace@example.com,Grace\n"


def emails(fetched):
    return [record.email for record in fetched.records]


def test_utf8_byte_order_mark_is_not_part_of_the_first_header(export):
    path = export("\ufeffEmail,Name\nada@example.com,Ada\n")
    assert emails(read(path)) == ["ada@example.com"]


def test_utf16_export_with_byte_order_mark_is_read(export):
    path = export("Email\tName\nada@example.com\tAdé\n", encoding="utf-16")
    assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert [r.name for r in read(path).records] == ["Adé"]


def test_other_encodings_are_read_when_configured(export):
    path = export("Email,Name\nrene@example.com,René\n", encoding="cp1252")
    assert [r.name for r in read(path, encoding="cp1252").records] == ["René"]


def test_wrong_encoding_names_the_line_and_the_setting(export):
    path = export("Email,Name\nada@example.com,Ada\nrene@example.com,René\n", encoding="cp1252")
    with pytest.raises(BadProviderData, match=r"figma.csv line 3: byte 0xe9 is not utf-8 text; set encoding"):
        read(path)


def test_semicolon_and_tab_delimiters_are_recognised(export):
    assert emails(read(export("Email;Name;Role\nada@example.com;Lovelace, Ada;Admin\n"))) == ["ada@example.com"]
    assert emails(read(export("Email\tName\nada@example.com\tAda\n"))) == ["ada@example.com"]


def test_explicit_delimiter_wins_over_the_guess(export):
    path = export("Email|Name, as shown\nada@example.com|Lovelace, Ada\n")
    fetched = read(path, delimiter="pipe", name_column="name, as shown")
    assert [r.name for r in fetched.records] == ["Lovelace, Ada"]


def test_quoted_fields_hold_delimiters_quotes_and_newlines(export):
    path = export(
        'Email,Name,Department\nada@example.com,"Lovelace, Ada ""Countess""","R&D\nLondon"\nb@example.com,B,X\n'
    )
    records = read(path).records
    assert records[0].name == 'Lovelace, Ada "Countess"'
    assert records[0].department == "R&D\nLondon"
    assert len(records) == 2


def test_blank_lines_and_rows_of_empty_fields_are_skipped(export):
    path = export("\nEmail,Name\n\nada@example.com,Ada\n\r\n,\n  \ngrace@example.com,Grace\n\n")
    assert emails(read(path)) == ["ada@example.com", "grace@example.com"]


def test_windows_line_endings(export):
    assert emails(read(export(PLAIN.replace("\n", "\r\n")))) == ["ada@example.com", "grace@example.com"]


def test_header_names_match_whatever_their_case_spacing_and_underscores(export):
    path = export(" E-MAIL , Full_Name ,  LAST   ACTIVE \nada@example.com,Ada,2026-01-02\n")
    [record] = read(path).records
    assert (record.email, record.name, record.last_activity_at.day) == ("ada@example.com", "Ada", 2)


def test_line_numbers_count_physical_lines_after_multiline_fields(export):
    text = dedent(
        """
        Email,Name,Last active
        ada@example.com,"Ada
        Lovelace",2026-01-01

        grace@example.com,Grace,yesterday
        """
    )
    with pytest.raises(BadProviderData, match=r"figma.csv line 5: last activity 'yesterday' does not match"):
        read(export(text))


def test_unterminated_quote_is_an_error_naming_where_the_record_starts(export):
    path = export('Email,Name\nada@example.com,Ada\ngrace@example.com,"Grace\nalan@example.com,Alan\n')
    with pytest.raises(BadProviderData, match=r"figma.csv line 3: cannot read the record"):
        read(path)


def test_more_fields_than_the_header_is_an_error(export):
    path = export("Email,Name\nada@example.com,Lovelace, Ada\n")
    with pytest.raises(BadProviderData, match=r"line 2: 3 fields but the header has 2 .*unquoted delimiter"):
        read(path)


def test_short_rows_and_trailing_empty_fields_are_accepted(export):
    path = export("Email,Name,Department\nada@example.com\ngrace@example.com,Grace,Core,,\n")
    records = read(path).records
    assert [(r.email, r.department) for r in records] == [("ada@example.com", None), ("grace@example.com", "Core")]


def test_empty_file_is_an_error(export):
    with pytest.raises(BadProviderData, match="figma.csv is empty: expected a header line"):
        read(export("\n\n"))


def test_header_only_file_is_an_empty_account(export):
    assert read(export("Email,Name\n")).items == []


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "exports" / "figma.csv"
    with pytest.raises(ConfigError, match=rf"file {missing} does not exist; check the path setting"):
        read(missing)


def test_directory_instead_of_a_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        read(tmp_path)
