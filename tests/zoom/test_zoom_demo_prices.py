"""The Zoom demo offers sample list prices, so ``seatkeeper demo`` reports show costs."""

from __future__ import annotations

import pytest

from seatkeeper_zoom.provider import ZoomProvider


@pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])
def test_demo_snapshots_carry_sample_prices_for_billable_types():
    with ZoomProvider().demo() as snapshots:
        assert snapshots
        assert all(snapshot.currency == "USD" for snapshot in snapshots)
        assert snapshots[-1].prices == {"Licensed": 15.99}
