"""``seatkeeper sync`` in a child process, set up for the kill -9 tests.

- ``SEATKEEPER_TEST_PAUSE_MARKER``: once the apply has closed the run's intervals (in its open transaction), it
  writes that file and sleeps, so the test can kill it at exactly that point.
- The account's users are all replaced in these tests: the sync may remove every stored seat.
- ``SEATKEEPER_TEST_STAGE_PAGE``: fetched seats are written to the staging tables that many at a time
  (``seatkeeper.staging.PAGE``), so a small account is staged during the fetch as a big one is.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from seatkeeper import cli, staging, sync


def main() -> None:
    """Run ``seatkeeper sync``, pausing inside the apply, or staging small pages."""
    sync.SHRINK_LIMIT = 1.0
    if "SEATKEEPER_TEST_STAGE_PAGE" in os.environ:
        staging.PAGE = int(os.environ["SEATKEEPER_TEST_STAGE_PAGE"])
    if "SEATKEEPER_TEST_PAUSE_MARKER" in os.environ:
        marker = Path(os.environ["SEATKEEPER_TEST_PAUSE_MARKER"])
        real_close_seats = staging.close_seats

        def pausing_close_seats(*args, **kwargs):
            real_close_seats(*args, **kwargs)
            marker.write_text("inside the apply transaction")
            time.sleep(120)

        staging.close_seats = pausing_close_seats
    cli.main(["sync"])


if __name__ == "__main__":
    main()
