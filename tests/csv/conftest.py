"""CSV provider fixtures: export files written into tmp_path, and a Figma-style sample export."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from seatkeeper.testing import Fetched, fetch_all
from seatkeeper_csv import CsvProvider

#: A Figma-style member export: roles decide the price, dates are day/month/year.
FIGMA = """\
Name,Email,Role,Status,Last active,Date added,Team
Ada Lovelace,Ada@Example.com,Admin,Active,14/01/2026,03/02/2024,Engineering
Grace Hopper,grace@example.com,Editor,Active,13/01/2026,11/05/2024,Engineering
Alan Turing,alan@example.com,Viewer,Active,,01/09/2025,Research
Edsger Dijkstra,edsger@example.com,Editor,Deactivated,02/11/2025,20/03/2023,Research
Barbara Liskov,barbara@example.com,Viewer,Invited,,10/01/2026,Product
"""
FIGMA_SETTINGS = {"license_column": "Role", "billable_types": "Editor, Admin", "date_format": "%d/%m/%Y"}


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def export(tmp_path) -> Callable[..., Path]:
    """``export(text, name="figma.csv", encoding="utf-8")`` writes an export file and returns its path."""

    def write(text: str, name: str = "figma.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def read(path: Path, **settings: str) -> Fetched:
    """Fetch ``path`` through the CSV provider with ``settings`` (as written in a config file)."""
    return fetch_all(CsvProvider(), {"path": str(path), **settings})
