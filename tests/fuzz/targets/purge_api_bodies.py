"""The emulated Cloudflare purge API's body (``emulator.purgeapi.parse_purge_body``), hard and
soft.

As tests/unit/test_hostile_emulator.py: ``PurgeApiError`` with status 400 and a Cloudflare
code in 1000-1999 refuses.
"""

from __future__ import annotations

from emulator.purgeapi import PurgeApiError, parse_purge_body
from emulator.purgelimit import PURGE_PLANS

from ..contract import checked

PLAN = PURGE_PLANS["pro"]


def fuzz_one(data: bytes) -> None:
    for soft in (False, True):
        refused = checked((PurgeApiError,), parse_purge_body, data, PLAN, soft=soft)
        if isinstance(refused, PurgeApiError):
            assert refused.status == 400
            assert 1000 <= refused.code < 2000
            assert refused.message


SEEDS = (
    b'{"files": ["https://shop.example/api/products/1", '
    b'{"url": "https://shop.example/p", "headers": {"Origin": "https://a.example"}}]}',
    b'{"tags": ["sku:BEV-COFFEE", "catalog"]}',
    b'{"hosts": ["shop.example"]}',
    b'{"prefixes": ["shop.example/api/"]}',
    b'{"purge_everything": true}',
)
