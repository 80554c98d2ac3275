"""JSON documents as every body parser first reads them: ``jsonbounds.load_document`` (bounded
nesting, no NaN, no member named twice) and ``dump``.

As tests/unit/test_edge_hostile_bodies.py: ``ValueError`` (``TooDeep`` among them) refuses.
"""

from __future__ import annotations

import jsonbounds

from ..contract import checked


def fuzz_one(data: bytes) -> None:
    document = checked((ValueError,), jsonbounds.load_document, data)
    if not isinstance(document, ValueError):
        checked((ValueError,), jsonbounds.dump, document)


SEEDS = (
    b'{"a": [1, 2.5, -3e2, true, false, null], "b": {"c": "\\u00e9\\ud83d\\ude00"}}',
    b'[[[[["deep"]]]]]',
    b'"\\"quoted\\" \\\\ string"',
    b"12345678901234567890",
)
