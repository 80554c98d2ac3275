"""Promotions: promotions.toml from the bundle and the same document as JSON from KV
(``promotions.load_promotions_toml``, ``load_promotions_json``).

As tests/unit/test_edge_hostile_config.py: ``PromotionsError`` refuses.
"""

from __future__ import annotations

import json
import tomllib

from promotions import PromotionsError, load_promotions_json, load_promotions_toml

from .. import EDGE
from ..contract import checked, framed, pick, text

PREFIXES = ("/api/",)
NOW = 1_700_000_000.0
LOADERS = (load_promotions_toml, load_promotions_json)


def fuzz_one(data: bytes) -> None:
    choice, raw = pick(data, len(LOADERS) * 2)
    load = LOADERS[choice % 2]
    options = {"now": NOW, "known_views": ("pdp",)} if choice >= 2 else {}
    refused = checked(
        (PromotionsError,), load, text(raw), "promotions", prefixes=PREFIXES, **options
    )
    if isinstance(refused, PromotionsError):
        assert str(refused)


SHIPPED = (EDGE / "promotions.toml").read_bytes()
AS_JSON = json.dumps(tomllib.loads(SHIPPED.decode())).encode()
SEEDS = (framed(0, SHIPPED), framed(1, AS_JSON), framed(2, SHIPPED), framed(3, AS_JSON))
