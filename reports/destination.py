"""Writing a report to the path ``--output`` names, without harming what is there.

A regular file (or a new one) is written beside its target and renamed over it only when the report is
complete, keeping the old file's mode and owner; a new report gets ``[reports] file_mode`` (owner-only by
default: reports hold names and emails). A symlink is followed: its target is replaced, the link stays.
Character devices, FIFOs and the process's own streams (``/dev/stdout``, ``/dev/fd/N``) are written in
place, as any program writes them: renaming over them would turn ``/dev/null`` into a file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from seatkeeper.errors import ConfigError

from .settings import DEFAULT_FILE_MODE

#: Paths that name one of the process's open files rather than a file of their own.
STREAM_PREFIXES = ("/dev/fd/", "/proc/")
STREAM_PATHS = ("/dev/stdout", "/dev/stderr")


def is_stream(path: Path) -> bool:
    """Whether ``path`` names an already open stream (``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/1``)."""
    name = os.path.abspath(path)
    return name in STREAM_PATHS or name.startswith(STREAM_PREFIXES)


def write_report_file(
    path: Path,
    write: Callable[[IO], list[str]],
    *,
    file_mode: int = DEFAULT_FILE_MODE,
    binary: bool = False,
) -> list[str]:
    """Run ``write`` into ``path``; returns what ``write`` returned (the report's warnings).

    A failed report never leaves a half-written file, nor replaces last month's good one (except on a
    device, FIFO or stream, which is written as it goes). ``file_mode`` applies to a file created here.
    ``write`` gets a UTF-8 text file, or with ``binary`` a bytes one (refused when it is a terminal).
    """
    try:
        existing = os.stat(path)  # follows symlinks: what the path leads to
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise ConfigError(f"{path} is a folder: name the report file to write, e.g. {path / 'report.html'}")
    if is_stream(path) or (
        existing is not None and (stat.S_ISCHR(existing.st_mode) or stat.S_ISFIFO(existing.st_mode))
    ):
        return _write_in_place(path, write, binary)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise ConfigError(f"cannot write {path}: it is not a file, a character device or a FIFO")
    return _replace(Path(os.path.realpath(path)), write, existing, file_mode, binary)


def refuse_terminal(name: str) -> ConfigError:
    """The error for a binary report (XLSX) headed for a terminal; ``name`` is what ``--output`` said."""
    return ConfigError(
        f"an XLSX report is binary, not for a terminal ({name}): name a file with --output FILE, or pipe it"
    )


def _write_in_place(path: Path, write: Callable[[IO], list[str]], binary: bool) -> list[str]:
    try:
        handle = open(path, **_modes(binary))  # noqa: SIM115 (closed below, errors reworded)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    with handle:
        if binary and handle.isatty():
            raise refuse_terminal(str(path))
        return write(handle)


def _modes(binary: bool) -> dict[str, str]:
    return {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": ""}


def _replace(
    target: Path, write: Callable[[IO], list[str]], existing: os.stat_result | None, file_mode: int, binary: bool
) -> list[str]:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create the folder {target.parent}: {error.strerror}") from None
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise ConfigError(f"cannot write {target}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, **_modes(binary)) as handle:
            if existing is None:
                os.fchmod(handle.fileno(), file_mode)
            else:
                _keep_owner_and_mode(handle.fileno(), existing)
            warnings = write(handle)
        try:
            os.replace(temporary, target)
        except OSError as error:
            raise ConfigError(f"cannot write {target}: {error.strerror}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return warnings


def _keep_owner_and_mode(descriptor: int, existing: os.stat_result) -> None:
    # Only root may give a file away; others may still keep its group if they belong to it.
    for owner in ((existing.st_uid, existing.st_gid), (-1, existing.st_gid)):
        try:
            os.fchown(descriptor, *owner)
            break
        except PermissionError:
            continue
    # After chown, which clears set-id bits.
    os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))
