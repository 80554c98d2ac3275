"""GET /cdn-cgi/popcache/stats on an in-process emulator: the schema of docs/observability.md."""

import aiohttp
import pytest
from pointworker import refusal_of_post, running

from emulator.purgeapi import PurgeRequest

STATS = "/cdn-cgi/popcache/stats"
LHR = {"X-Popcache-Pop": "LHR"}


async def get(emulator, path, **headers):
    async with (
        aiohttp.ClientSession(emulator.url) as session,
        session.get(path, headers=headers) as reply,
    ):
        kind = reply.headers.get("Content-Type", "")
        body = await reply.json(content_type=None) if "json" in kind else await reply.text()
        return reply.status, kind, body


async def test_stats_count_the_requests_the_worker_reported(tmp_path):
    async with running(tmp_path) as emulator:
        for query in ("", "?cache=miss", "?status=503&zone=north"):
            await get(emulator, f"/p{query}", **LHR)
        status, kind, stats = await get(emulator, STATS)
    assert (status, kind) == (200, "application/json")
    assert stats["window"] == 600
    assert stats["total"]["requests"] == 3
    assert stats["pops"]["LHR"]["miss"] == 1
    assert stats["zones"]["north"] == {"requests": 1, "errors": 1, "error_rate": 1.0}
    assert stats["classes"]["product"]["requests"] == 3


async def test_stats_have_every_part_of_the_schema(tmp_path):
    async with running(tmp_path) as emulator:
        _, _, stats = await get(emulator, f"{STATS}?window=60")
    assert set(stats) == {
        "at", "window", "total", "pops", "classes", "zones", "invalidation", "queues", "purges",
        "series",
    }  # fmt: skip
    assert stats["queues"] == {"jobs": 0}
    assert len(stats["series"]) in (6, 7)


async def test_stats_list_the_latest_20_purges_newest_first(tmp_path):
    async with running(tmp_path) as emulator:
        for n in range(25):
            emulator.purge_api.apply(PurgeRequest("tags", (f"tag-{n}",), False))
        _, _, stats = await get(emulator, STATS)
    purges = stats["purges"]
    assert len(purges) == 20
    assert purges[0]["values"] == ["tag-24"]
    assert {"time", "mode", "selector", "values", "affected"} <= purges[0].keys()


@pytest.mark.parametrize("window", ["0", "3601", "ten", "1.5", "-5", ""])
async def test_a_bad_window_is_a_400_problem_naming_it(tmp_path, window):
    async with running(tmp_path) as emulator:
        status, kind, problem = await get(emulator, f"{STATS}?window={window}")
    assert (status, kind) == (400, "application/problem+json")
    assert problem["field"] == "window"


async def test_stats_take_only_get(tmp_path):
    refused = await refusal_of_post(tmp_path, STATS)
    assert refused == (405, "application/problem+json", "GET", "method")
