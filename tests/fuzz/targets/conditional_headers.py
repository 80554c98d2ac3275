"""Conditional requests: If-None-Match and If-Modified-Since against a stored ETag and
Last-Modified, the validators of a stored response, and freshening it with a 304's fields.

As tests/unit/test_edge_hostile_headers.py: all total, no refusal.
"""

from __future__ import annotations

from conditional import freshen, is_not_modified, validators
from messages import Fields

from ..contract import checked, fields

TOTAL: tuple[type[Exception], ...] = ()


def _present(*pairs: tuple[str, str | None]) -> Fields:
    return Fields((name, value) for name, value in pairs if value is not None)


def fuzz_one(data: bytes) -> None:
    if_none_match, if_modified_since, etag, last_modified = fields(data, 4)
    request = _present(("if-none-match", if_none_match), ("if-modified-since", if_modified_since))
    stored = _present(("etag", etag), ("last-modified", last_modified))
    assert isinstance(checked(TOTAL, is_not_modified, request, stored), bool)
    assert len(checked(TOTAL, validators, stored)) == (etag is not None) + (
        last_modified is not None
    )
    assert isinstance(checked(TOTAL, freshen, stored, request), Fields)


LAST_MODIFIED = "Sun, 06 Nov 1994 08:49:37 GMT"
SEEDS = (
    b'"v1"\x1f\x1f"v1"\x1f' + LAST_MODIFIED.encode(),
    b'W/"v1", "v2"\x1f\x1fW/"v2"',
    b"*\x1f" + LAST_MODIFIED.encode() + b'\x1f"a"\x1f' + LAST_MODIFIED.encode(),
    b"\x1f" + LAST_MODIFIED.encode() + b"\x1f\x1f" + LAST_MODIFIED.encode(),
)
