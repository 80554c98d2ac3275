"""``POST /_edge/batch`` bodies: ``batchformat.parse_batch_body``.

As tests/unit/test_edge_hostile_bodies.py: ``BatchError`` (a 400 naming the field) refuses.
"""

from __future__ import annotations

import json

from batchconfig import BatchSettings
from batchformat import BatchError, parse_batch_body

from ..contract import checked

SETTINGS = BatchSettings()


def fuzz_one(data: bytes) -> None:
    refused = checked((BatchError,), parse_batch_body, data, SETTINGS)
    if isinstance(refused, BatchError):
        assert isinstance(refused.field, str)
        assert refused.detail
        assert refused.pointer == "" or refused.pointer.startswith("/")


def _body(*items: dict[str, object]) -> bytes:
    return json.dumps({"requests": list(items)}).encode()


SEEDS = (
    _body({"id": "a", "method": "GET", "url": "/api/products/1"}),
    _body(
        {"id": "a", "method": "GET", "url": "/api/cart", "headers": {"Accept": "application/json"}},
        {
            "id": "b",
            "method": "POST",
            "url": "/api/cart/items",
            "headers": {"Content-Type": "application/json"},
            "body": {"sku": "BEV-COFFEE", "qty": 1},
            "dependsOn": ["a"],
        },
    ),
    _body(
        {
            "id": "c",
            "method": "PUT",
            "url": "/api/notes",
            "headers": {"Content-Type": "text/plain"},
            "body": "aGVsbG8=",
        }
    ),
)
