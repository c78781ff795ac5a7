"""``seatkeeper sync`` in a child process that stops inside the apply transaction, for the kill -9 test.

After the first batch of rows is written (in the open transaction), it writes the file named by
``SEATKEEPER_TEST_PAUSE_MARKER`` and sleeps, so the test can kill it at exactly that point.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from seatkeeper import cli, store


def main() -> None:
    """Run ``seatkeeper sync``, pausing after the first batch the apply writes."""
    marker = Path(os.environ["SEATKEEPER_TEST_PAUSE_MARKER"])
    real_chunks = store.chunks

    def pausing_chunks(rows, size=store.CHUNK):
        for batch in real_chunks(rows, size):
            yield batch
            marker.write_text("inside the apply transaction")
            time.sleep(120)

    store.chunks = pausing_chunks
    cli.main(["sync"])


if __name__ == "__main__":
    main()
