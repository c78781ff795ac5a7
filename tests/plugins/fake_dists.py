"""Installed-looking plugin distributions for tests: a ``*.dist-info`` folder and modules on ``sys.path``.

``importlib.metadata`` finds them exactly as it finds a pip-installed package, so the real entry-point
loading runs (allow and block lists, broken imports, package names and versions).
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest


class FakeSite:
    """A folder on ``sys.path`` that tests add fake plugin distributions to."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.modules: list[str] = []
        root.mkdir(parents=True, exist_ok=True)
        monkeypatch.syspath_prepend(str(root))

    def add(self, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
        """Install distribution ``dist`` with ``entry_points`` (name → module) in group ``seatkeeper``.

        ``modules`` maps module names to their source (dedented).
        """
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[seatkeeper]\n{lines}")
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        importlib.invalidate_caches()

    def forget_modules(self) -> None:
        """Drop the fake modules from ``sys.modules`` so the next test imports its own versions."""
        for module in self.modules:
            sys.modules.pop(module, None)


def provider_module(provider_name: str, *, setting: str = "token") -> str:
    """Source of a plugin module registering one working provider called ``provider_name``."""
    return f'''
        from seatkeeper import Provider, SeatRecord, Setting, hookimpl

        class FakeProvider(Provider):
            """Two users, whatever the settings."""

            name = {provider_name!r}
            title = "Fake {provider_name}"
            settings = (Setting({setting!r}, "API token", secret=True),)

            def fetch(self, session, context):
                """Two seats."""
                yield SeatRecord(user_id="a", email="A@example.com", license_type="Pro", billable=True)
                yield SeatRecord(user_id="b", email="b@example.com", license_type="Free", billable=False)

        @hookimpl
        def register_providers(register):
            """Offer the fake provider."""
            register(FakeProvider())
        '''
