"""The edge bundle reports its isolate's tables to /cdn-cgi/popcache/internals through its
development hook (edge/entry.py's ``__popcache_internals__``, docs/emulator.md)."""

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
async def edge(popcache_emulator, repo: Path) -> Any:  # type: ignore[no-untyped-def]
    return await popcache_emulator(repo / "wrangler.toml", origin="demo")


async def test_the_edge_reports_its_collapsing_map_memos_and_key_gate(edge: Any) -> None:
    for n in range(3):
        async with edge.client(pop="LHR").get(f"/api/products/BEV-COFFEE?utm_source={n}") as r:
            assert r.status == 200
    async with edge.client().get("/cdn-cgi/popcache/internals") as reply:
        worker = (await reply.json())["pops"]["LHR"]["worker"]
    assert worker["flights"] == {"size": 0, "limit": None}
    assert worker["memo.targets"] == {"size": 3, "limit": 4096}  # one per raw URL
    assert worker["key_gate"]["limit"] == 10_000
    assert worker["fronts"]["size"] == 1
    assert {"memo.keys", "memo.records", "memo.geos", "zone_ladders", "view_renders"} <= set(worker)
