"""``seatkeeper sync`` in a child process, set up for the kill -9 tests.

- ``SEATKEEPER_TEST_PAUSE_MARKER``: after the first batch of rows the apply writes (in the open transaction), it
  writes that file and sleeps, so the test can kill it at exactly that point.
- ``SEATKEEPER_TEST_STREAM_BATCH``: new seats are streamed in batches of that many rows (``seatkeeper.stream``),
  so a small account is written during the fetch as a big one is.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from seatkeeper import cli, store, stream


def main() -> None:
    """Run ``seatkeeper sync``, pausing after the first batch the apply writes, or streaming small batches."""
    if "SEATKEEPER_TEST_STREAM_BATCH" in os.environ:
        stream.BATCH = int(os.environ["SEATKEEPER_TEST_STREAM_BATCH"])
    if "SEATKEEPER_TEST_PAUSE_MARKER" in os.environ:
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
