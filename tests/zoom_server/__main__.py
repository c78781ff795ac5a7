"""Run a :class:`SeededZoom` in a process of its own: ``python -m tests.zoom_server --users 100000``.

Prints one JSON line with the connection settings (``account_id``, ``client_id``, ``client_secret``,
``api_url``, ``oauth_url``), then serves until its standard input closes, so it ends with the process that
started it.
"""

from __future__ import annotations

import argparse
import json
import sys

from .server import MAX_PAGE_SIZE, SeededZoom


def main(argv: list[str] | None = None) -> None:
    """Parse the options, start the server, print its settings, serve until stdin closes."""
    parser = argparse.ArgumentParser(prog="python -m tests.zoom_server", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000, help="how many users the account holds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated users")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each request waits before its answer")
    parser.add_argument("--max-page-size", type=int, default=MAX_PAGE_SIZE)
    parser.add_argument("--client-secret", default="bench-client-secret")
    options = parser.parse_args(argv)

    zoom = SeededZoom.generated(
        options.users,
        seed=options.seed,
        latency=options.latency,
        max_page_size=options.max_page_size,
        account_id="bench-account",
        client_id="bench-client",
        client_secret=options.client_secret,
        token_ttl=24 * 3600,
    )
    with zoom:
        for status in ("active", "inactive", "pending"):
            zoom._status_list(len(zoom.snapshots) - 1, status)  # encode up front, outside the timed syncs
        sys.stdout.write(json.dumps(zoom.settings()) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
