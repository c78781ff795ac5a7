"""The CSV provider passes the provider contract kit."""

from __future__ import annotations

import pytest

import seatkeeper_csv
from seatkeeper.testing import ProviderContract
from seatkeeper_csv import CsvProvider

from .conftest import FIGMA, FIGMA_SETTINGS


class TestCsvProviderContract(ProviderContract):
    """An export with users, a header-only export, a missing file and a file with a bad date on line 4."""

    @pytest.fixture
    def provider(self):
        return CsvProvider()

    @pytest.fixture
    def settings(self, export):
        return {"path": str(export(FIGMA)), **FIGMA_SETTINGS}

    @pytest.fixture
    def empty_settings(self, export):
        return {"path": str(export(FIGMA.splitlines()[0] + "\n", name="empty.csv"))}

    @pytest.fixture
    def bad_settings(self, tmp_path):
        return {"path": str(tmp_path / "no-such-export.csv")}

    @pytest.fixture
    def malformed_settings(self, export):
        broken = FIGMA.replace("13/01/2026", "13/13/2026")
        return {"path": str(export(broken, name="broken.csv")), **FIGMA_SETTINGS}

    @pytest.fixture
    def plugin(self):
        return seatkeeper_csv
