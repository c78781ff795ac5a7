"""The Zoom client's JSON parsing (msgspec, for speed) reads every body exactly as requests' own response.json()."""

from __future__ import annotations

import json

import requests
from hypothesis import example, given
from hypothesis import strategies as st

from seatkeeper_zoom.client import json_body

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),  # beyond 64 bits too
        st.floats(),  # NaN and infinities: json writes them, msgspec refuses them
        st.text(),  # lone surrogates included, written as \\ud800 escapes
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=12,
)
bodies = st.one_of(
    st.builds(
        lambda value, ascii: json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass"),
        json_values,
        st.booleans(),
    ),
    st.binary(max_size=40),  # not JSON, or not UTF-8
    st.sampled_from([b'\xef\xbb\xbf{"a": 1}', b'{"a": 1, "a": 2}', b'{"name": "Zo\xeb"}', b" [1] ", b"", b"{"]),
)


def response(body: bytes, encoding: str | None) -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer._content, answer.encoding = 200, body, encoding
    return answer


def read(function, body: bytes, encoding: str | None):
    try:
        return "value", repr(function(response(body, encoding)))  # repr: NaN equals NaN
    except ValueError:
        return "error", None


@given(bodies, st.sampled_from([None, "utf-8", "UTF8", "latin-1", "utf-16", "no-such-charset"]))
@example(b'{"users": [{"id": "u1", "first_name": "Chlo\\u00e9"}]}', "utf-8")
@example('{"name": "Chloé"}'.encode("latin-1"), "latin-1")
@example('{"name": "Ã©"}'.encode("latin-1"), "latin-1")  # also valid UTF-8, where it reads "é"
@example(b"[-9223372036854775809, 18446744073709551616, 1e400, 1.5e-400]", "utf-8")
def test_json_body_reads_what_response_json_reads(body, encoding):
    assert read(json_body, body, encoding) == read(requests.Response.json, body, encoding)
