"""Where ``report --output`` writes: regular files replaced atomically with their mode (and owner) kept,
new reports private, symlinks followed, devices, FIFOs and /dev/stdout written in place.

These tests run as root in CI, so they never point a report at the machine's own /dev/null: the device case
uses a null device node made in the test's folder.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARGS = ("report", "--month", "2026-03", "--format", "json", "--output")


def report_json(text: str) -> dict:
    data = json.loads(text)
    assert data["month"] == "2026-03"
    return data


def test_a_new_report_is_readable_by_its_owner_only(cli_run, with_history, tmp_path):
    target = tmp_path / "new" / "report.json"
    code, out, err = cli_run(*ARGS, str(target))
    assert code == 0, err
    assert out.strip() == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    report_json(target.read_text())


def test_file_mode_setting_applies_to_new_reports(cli_run, with_history, tmp_path):
    with_history.write_text(with_history.read_text() + '\n[reports]\nfile_mode = "0644"\n')
    target = tmp_path / "shared.json"
    code, _, err = cli_run(*ARGS, str(target))
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


@pytest.mark.parametrize("value", ['"644x"', '"0999"', "true", '"01777"', '""'])
def test_a_bad_file_mode_is_one_line(cli_run, with_history, value):
    with_history.write_text(with_history.read_text() + f"\n[reports]\nfile_mode = {value}\n")
    code, _, err = cli_run(*ARGS, "-")
    assert code == 2
    assert "[reports] file_mode must be" in err and len(err.strip().splitlines()) == 1, err


def test_an_existing_report_keeps_its_mode_and_owner(cli_run, with_history, tmp_path):
    target = tmp_path / "report.json"
    target.write_text("last month's report")
    os.chmod(target, 0o640)
    owner = (os.getuid(), os.getgid())
    if os.geteuid() == 0:  # root can hand the file to someone else: the report must stay theirs
        owner = (4321, 4322)
        os.chown(target, *owner)
    before = target.stat()
    code, _, err = cli_run(*ARGS, str(target))
    assert code == 0, err
    after = target.stat()
    assert after.st_ino != before.st_ino  # replaced (atomically), not rewritten in place
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert (after.st_uid, after.st_gid) == owner
    report_json(target.read_text())


def test_a_private_report_stays_private(cli_run, with_history, tmp_path):
    target = tmp_path / "report.json"
    target.write_text("{}")
    os.chmod(target, 0o600)
    code, _, err = cli_run(*ARGS, str(target))
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_symlink_is_followed_and_kept(cli_run, with_history, tmp_path):
    real = tmp_path / "archive" / "march.json"
    real.parent.mkdir()
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(Path("archive") / "march.json")
    code, _, err = cli_run(*ARGS, str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(Path("archive") / "march.json")
    report_json(real.read_text())
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["march.json"]  # no temporary file left


def test_a_dangling_symlink_creates_its_target(cli_run, with_history, tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "made.json")
    code, _, err = cli_run(*ARGS, str(link))
    assert code == 0, err
    assert link.is_symlink()
    report_json((tmp_path / "made.json").read_text())
    assert stat.S_IMODE((tmp_path / "made.json").stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_character_device_stays_a_device(cli_run, with_history, tmp_path):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the null device, as /dev/null is
    os.chmod(device, 0o666)  # past the umask
    code, _, err = cli_run(*ARGS, str(device))
    assert code == 0, err
    mode = device.stat().st_mode
    assert stat.S_ISCHR(mode) and os.major(device.stat().st_rdev) == 1 and os.minor(device.stat().st_rdev) == 3
    assert stat.S_IMODE(mode) == 0o666
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


class FifoReader(threading.Thread):
    """Reads a FIFO until its writer closes it (or ``timeout`` seconds pass without a writer)."""

    def __init__(self, path: Path, timeout: float = 15.0) -> None:
        super().__init__(daemon=True)
        # Opened without blocking so the test never hangs, whatever the report does to the path.
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.timeout = timeout
        self.data = b""

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                chunk = os.read(self.fd, 1 << 16) if ready else None
                if chunk:
                    self.data += chunk
                elif chunk == b"" and self.data:
                    return  # the writer closed the FIFO after writing
                elif chunk == b"":
                    time.sleep(0.02)  # no writer yet
        finally:
            os.close(self.fd)


def test_a_fifo_is_written_in_place(cli_run, with_history, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    reader.start()
    code, _, err = cli_run(*ARGS, str(fifo))
    reader.join(timeout=20)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    report_json(reader.data.decode("utf-8"))


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_dev_stdout_writes_to_the_pipe(with_history, database, tmp_path, target):
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SEATKEEPER_")}
    environment.update(
        SEATKEEPER_DATABASE_URL=database,
        SEATKEEPER_CONFIG=str(with_history),
        SEATKEEPER_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(REPO),
    )
    before = os.lstat("/dev/stdout")
    result = subprocess.run(
        [sys.executable, "-m", "seatkeeper", *ARGS, target],
        capture_output=True,  # stdout is a pipe: /dev/stdout is one
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    report_json(result.stdout.decode("utf-8"))  # the report alone: no file name printed after it
    after = os.lstat("/dev/stdout")
    assert stat.S_ISLNK(after.st_mode) and after.st_ino == before.st_ino


def test_an_empty_output_is_a_usage_error(cli_run, with_history):
    code, out, err = cli_run("report", "--month", "2026-03", "--output", "")
    assert code == 2
    assert out == ""
    assert "--output" in err and len(err.strip().splitlines()) == 1, err
