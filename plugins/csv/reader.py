"""Reading an export file into numbered rows: encoding and BOM, delimiter, quoting, blank lines."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from seatkeeper.errors import BadProviderData, ConfigError, ProviderError

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")


def check_readable(path: Path) -> None:
    """Fail early, naming the path, when the export is not there."""
    if not path.exists():
        raise ConfigError(f"csv: file {path} does not exist; check the path setting")
    if path.is_dir():
        raise ConfigError(f"csv: {path} is a directory; the path setting must name the exported file")


def read_text(path: Path, encoding: str) -> str:
    """The file's text. A UTF-8 or UTF-16 byte-order mark is honoured and dropped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"csv: file {path} does not exist; check the path setting") from None
    except OSError as error:
        raise ProviderError(f"csv: cannot read {path}: {error.strerror or error}") from None
    codec = encoding
    if encoding == "utf-8":
        codec = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1].hex()
        raise BadProviderData(
            f"{path.name} line {line}: byte 0x{byte} is not {encoding} text; set encoding (e.g. cp1252 or latin-1)"
        ) from None


def sniff_delimiter(text: str) -> str:
    """The candidate delimiter appearing most often in the first non-blank line (a comma on a tie)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {candidate: first.count(candidate) for candidate in CANDIDATE_DELIMITERS}
    best = max(CANDIDATE_DELIMITERS, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def numbered_rows(text: str, delimiter: str, label: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record as (line number where it starts, fields). The first one is the header."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BadProviderData(f"{label} line {start}: cannot read the record: {error}") from None
        if any(field.strip() for field in fields):
            yield start, fields
        start = reader.line_num + 1
