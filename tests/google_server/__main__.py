"""Run the local Google server with a generated customer: ``python -m tests.google_server --users 100000``.

Prints one JSON line with the connection settings (``admin_url``, ``licensing_url``, ``token_uri``, ``subject``),
then serves until its standard input closes, so it ends with the process that started it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from seatkeeper_google_workspace.fake_server import FakeGoogle

from .customers import ADMIN, generate_snapshot


class SlowGoogle(FakeGoogle):
    """The local server with ``latency`` seconds before every answer (a far-away API)."""

    latency = 0.0

    def handle(self, method, target, headers, body):
        """Wait ``latency`` seconds, then answer as the local server does."""
        if self.latency:
            time.sleep(self.latency)
        return super().handle(method, target, headers, body)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, start the server, print its settings, serve until stdin closes."""
    parser = argparse.ArgumentParser(prog="python -m tests.google_server", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each request waits before its answer")
    parser.add_argument("--client-email", required=True)
    parser.add_argument("--public-key-file", type=Path, required=True)
    options = parser.parse_args(argv)

    server = SlowGoogle(
        [generate_snapshot(options.users)],
        client_email=options.client_email,
        public_key=options.public_key_file.read_text(encoding="utf-8"),
        expires_in=24 * 3600,
    )
    server.latency = options.latency
    with server:
        server.prepare()  # encode up front, outside the timed runs
        sys.stdout.write(json.dumps({**server.settings(), "subject": ADMIN}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
