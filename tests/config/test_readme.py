"""The README's configuration examples pass the checks they describe."""

from __future__ import annotations

import re
from pathlib import Path

from seatkeeper.cli.app import REPORT_SECTIONS
from seatkeeper.config import check_connections, load_config
from seatkeeper.reports.settings import report_settings
from seatkeeper_csv.provider import CsvProvider
from seatkeeper_zoom.provider import ZoomProvider

from .kit import write

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_configuration_examples_load_and_check_strictly(tmp_path):
    section = README[README.index("## Configuration") : README.index("### Database")]
    blocks = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert len(blocks) >= 3
    config = load_config(write(tmp_path, "\n".join(blocks)), given_by="--config", sections=REPORT_SECTIONS)
    assert [contract.name for contract in report_settings(config).contracts] == ["zoom"]
    assert config.database_url and {"zoom-emea", "zoom-us", "figma"} <= set(config.connections)
    environ = {"ZOOM_EMEA_CLIENT_SECRET": "s1", "ZOOM_US_CLIENT_SECRET": "s2"}
    providers = {"zoom": ZoomProvider(), "csv": CsvProvider()}
    assert check_connections(config, providers, environ) == {}
