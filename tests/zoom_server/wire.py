"""JSON as the test server sends it."""

from __future__ import annotations

import json
from typing import Any


def encode_json(value: Any) -> bytes:
    """UTF-8 JSON; text UTF-8 cannot carry (lone surrogates) goes out as ``\\u`` escapes, as valid JSON allows."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("ascii")
