"""``POST /_edge/purge`` bodies: ``adminpurge.parse_purge_body``.

As tests/unit/test_edge_hostile_bodies.py: ``PurgeBodyError`` (a 400 naming the field)
refuses; a body that parses is at least one purge call of at most ``per_call`` values.
"""

from __future__ import annotations

from adminpurge import PurgeBodyError, parse_purge_body

from ..contract import checked

PER_CALL = 30


def fuzz_one(data: bytes) -> None:
    calls = checked((PurgeBodyError,), parse_purge_body, data, per_call=PER_CALL)
    if isinstance(calls, PurgeBodyError):
        assert isinstance(calls.field, str)
        assert calls.detail
    else:
        assert calls
        assert all(len(call.values) <= PER_CALL for call in calls)


SEEDS = (
    b'{"tags": ["sku:BEV-COFFEE", "catalog"], "mode": "soft"}',
    b'{"files": ["https://shop.example/api/products/1", "https://shop.example/p?q=1"]}',
    b'{"prefixes": ["shop.example/api/"], "mode": "hard"}',
    b'{"hosts": ["shop.example"]}',
    b'{"purge_everything": true}',
)
