"""JSON text for values a plugin built: stored JSON columns, seat extras in canonical form, people's digests.

``json.dumps`` with options (and ``JSONEncoder.encode``) builds a new C encoder on every call, which costs
more than encoding a small dict. A sync encodes a value or two per user, so the encoders here are built once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


def as_json_text(item: object) -> str:
    """What a value JSON has no type for becomes: ISO text for a datetime, ``str()`` for anything else.

    A plugin's odd value (a datetime, a set) is stored as text instead of failing the whole apply.
    """
    return item.isoformat() if isinstance(item, datetime) else str(item)


class Encoder:
    """Called with a value, returns ``json.dumps(value, default=as_json_text, sort_keys=..., ensure_ascii=...)``.

    The text is the same as ``json.dumps`` gives; the C encoder behind it is made once. Values must not contain
    themselves (there is no check for cycles: validated seat data never has any). An object rather than a
    closure, because psycopg caches its JSON dumpers by function and refuses closures.
    """

    def __init__(self, *, sort_keys: bool = False, ensure_ascii: bool = True) -> None:
        make = getattr(json.encoder, "c_make_encoder", None)
        if make is None:  # pragma: no cover - CPython always has the C encoder
            python = json.JSONEncoder(default=as_json_text, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
            self._chunks = lambda value, _level: python.iterencode(value)
            return
        text = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
        self._chunks = make(None, as_json_text, text, None, ": ", ", ", sort_keys, False, True)

    def __call__(self, value: Any) -> str:
        """``value`` as JSON text."""
        return "".join(self._chunks(value, 0))


#: Canonical JSON text (keys sorted, ASCII): equal values give equal text, whatever order their keys came in.
canonical = Encoder(sort_keys=True)
