"""Cloudflare's zone purge API on the emulator, over real HTTP: a Worker caching through the
Cache API on every PoP, purged and invalidated through /cdn-cgi/popcache/client/v4."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from emulator.purgeapi import DEV_API_TOKEN, DEV_ZONE_ID, PURGE_API_PATH, PurgeSettings
from emulator.pytest_plugin import EmulatorHandle

COLOS = ("SFO", "ORD", "LHR")
AUTH = {"Authorization": f"Bearer {DEV_API_TOKEN}"}
PURGE = f"{PURGE_API_PATH}/zones/{DEV_ZONE_ID}/purge_cache"
INVALIDATE = f"{PURGE_API_PATH}/zones/{DEV_ZONE_ID}/invalidate_cache"
LOG = "/cdn-cgi/popcache/purges"

CACHER = '''
"""Answers every GET from caches.default, storing a miss with the tags its ?tags= names."""
from js import caches
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        hit = await caches.default.match(request.url)
        if hit is not None:
            return Response(hit)
        tags = request.url.partition("tags=")[2]
        response = Response(
            "from the worker", headers={"Cache-Control": "max-age=600", "Cache-Tag": tags}
        )
        await caches.default.put(request.url, response.clone().js_response)
        return response
'''

Start = Callable[..., Awaitable[EmulatorHandle]]


@pytest.fixture
def cacher(tmp_path: Path) -> Path:
    (tmp_path / "worker.py").write_text(CACHER)
    config = tmp_path / "wrangler.toml"
    config.write_text(
        'name = "cacher"\nmain = "worker.py"\ncompatibility_flags = ["python_workers"]\n'
    )
    return config


@pytest.fixture
def start(popcache_emulator: Start, cacher: Path) -> Start:
    async def run(**options: Any) -> EmulatorHandle:
        return await popcache_emulator(cacher, **options)

    return run


async def cache_status(emu: EmulatorHandle, path: str, colo: str) -> str | None:
    """What one PoP answers for ``path``: its CF-Cache-Status, None for a miss (now stored)."""
    async with emu.client(pop=colo).get(path) as response:
        assert response.status == 200
        return response.headers.get("CF-Cache-Status")


async def warm(emu: EmulatorHandle, *paths: str) -> None:
    for path in paths:
        for colo in COLOS:
            assert await cache_status(emu, path, colo) is None
            assert await cache_status(emu, path, colo) == "HIT"


async def call(
    emu: EmulatorHandle,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> tuple[int, dict[str, Any], Mapping[str, str]]:
    session = emu.client()
    async with session.request(
        method, path, json=body, headers=AUTH if headers is None else headers
    ) as response:
        return response.status, await response.json(), response.headers


def failure(code: int, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }


async def test_a_tag_purge_drops_the_entry_on_every_pop(start):
    emu = await start()
    await warm(emu, "/page?tags=catalog", "/other?tags=else")

    status, body, _ = await call(emu, PURGE, {"tags": ["catalog"]})

    assert (status, body) == (
        200,
        {"success": True, "errors": [], "messages": [], "result": {"id": DEV_ZONE_ID}},
    )
    assert [await cache_status(emu, "/page?tags=catalog", colo) for colo in COLOS] == [None] * 3
    assert [await cache_status(emu, "/other?tags=else", colo) for colo in COLOS] == ["HIT"] * 3


async def test_invalidate_cache_marks_the_entry_stale_on_every_pop(start):
    emu = await start()
    await warm(emu, "/page?tags=catalog")

    status, body, _ = await call(emu, INVALIDATE, {"tags": ["catalog"]})

    assert (status, body["success"]) == (200, True)
    assert [await cache_status(emu, "/page?tags=catalog", colo) for colo in COLOS] == ["STALE"] * 3


async def test_soft_true_in_a_purge_cache_body_invalidates(start):
    emu = await start()
    await warm(emu, "/page?tags=catalog")

    status, _, _ = await call(emu, PURGE, {"tags": ["catalog"], "soft": True})

    assert status == 200
    assert await cache_status(emu, "/page?tags=catalog", "SFO") == "STALE"
    assert emu.purges[0].mode == "soft"


async def test_a_file_purge_drops_that_url_on_every_pop(start):
    emu = await start()
    await warm(emu, "/page", "/page?x=1")

    status, _, _ = await call(emu, PURGE, {"files": [{"url": f"{emu.url}/page", "headers": {}}]})

    assert status == 200
    assert sum(pop.caches.entry_count() for pop in emu.emulator.pops.values()) == 3
    assert await cache_status(emu, "/page", "LHR") is None


async def test_a_prefix_purge_drops_the_directory_on_every_pop(start):
    emu = await start()
    await warm(emu, "/products/1", "/products/2?x=1", "/productsale")

    status, _, _ = await call(emu, PURGE, {"prefixes": ["127.0.0.1/products"]})

    assert status == 200
    assert emu.purges[0].affected == 6
    assert await cache_status(emu, "/productsale", "ORD") == "HIT"


async def test_a_host_purge_drops_everything_on_the_host(start):
    emu = await start()
    await warm(emu, "/a", "/b")

    status, _, _ = await call(emu, PURGE, {"hosts": ["127.0.0.1"]})

    assert status == 200
    assert emu.purges[0].affected == 6


async def test_purge_everything_empties_every_pop(start):
    emu = await start()
    await warm(emu, "/a")

    status, _, _ = await call(emu, PURGE, {"purge_everything": True})

    assert status == 200
    assert all(pop.caches.entry_count() == 0 for pop in emu.emulator.pops.values())


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": DEV_API_TOKEN}],
    ids=["missing", "wrong", "not-bearer"],
)
async def test_a_missing_or_wrong_token_is_a_403(start, headers):
    emu = await start()
    await warm(emu, "/page?tags=catalog")

    status, body, _ = await call(emu, PURGE, {"tags": ["catalog"]}, headers=headers)

    assert (status, body) == (403, failure(10000, "Authentication error"))
    assert await cache_status(emu, "/page?tags=catalog", "SFO") == "HIT"


async def test_another_zone_is_a_404(start):
    emu = await start()

    status, body, _ = await call(
        emu, f"{PURGE_API_PATH}/zones/elsewhere/purge_cache", {"tags": ["a"]}
    )

    assert (status, body) == (
        404,
        failure(
            7003,
            "Could not route to /zones/elsewhere/purge_cache, perhaps your object identifier "
            "is invalid?",
        ),
    )


async def test_an_unknown_api_path_is_a_404(start):
    emu = await start()

    status, body, _ = await call(emu, f"{PURGE_API_PATH}/zones/{DEV_ZONE_ID}/settings", {})

    assert (status, body) == (404, failure(7003, "No route for the URI"))


async def test_a_get_is_a_405_with_the_envelope(start):
    emu = await start()

    status, body, headers = await call(emu, PURGE, method="GET")

    assert (status, body["success"], body["result"]) == (405, False, None)
    assert headers["Allow"] == "POST"


async def test_a_bad_body_is_a_400_naming_the_field_and_purges_nothing(start):
    emu = await start()
    await warm(emu, "/page?tags=catalog")

    status, body, _ = await call(emu, PURGE, {"tags": ["catalog", ""]})

    assert (status, body["success"], body["result"]) == (400, False, None)
    (error,) = body["errors"]
    assert "tags[1]" in error["message"]
    assert 1000 <= error["code"] < 2000
    assert await cache_status(emu, "/page?tags=catalog", "SFO") == "HIT"
    assert emu.purges == []


async def test_a_body_that_is_not_json_is_a_400(start):
    emu = await start()
    async with emu.client().post(PURGE, data=b"{tags", headers=AUTH) as response:
        assert response.status == 400
        assert (await response.json())["errors"][0]["code"] == 1011


async def test_over_the_free_plan_s_bucket_is_a_429_until_a_token_refills(start):
    emu = await start(purge=PurgeSettings(plan="free"))
    for _ in range(25):
        assert (await call(emu, PURGE, {"tags": ["a"]}))[0] == 200

    status, body, headers = await call(emu, INVALIDATE, {"tags": ["a"]})

    assert (status, body) == (
        429,
        failure(971, "Please wait and consider throttling your request speed"),
    )
    assert headers["Retry-After"] == "12"
    emu.clock.advance(12)
    assert (await call(emu, PURGE, {"tags": ["a"]}))[0] == 200


async def test_a_success_carries_ratelimit_headers(start):
    emu = await start()

    _, _, headers = await call(emu, PURGE, {"tags": ["a"]})

    assert headers["Ratelimit"] == '"purge";r=24;t=1'
    assert headers["Ratelimit-Policy"] == '"purge";q=25;w=5'
    assert headers["CF-Ray"]


async def test_the_configured_zone_and_token_are_the_ones_accepted(start):
    emu = await start(purge=PurgeSettings(zone_id="z1", token="t1", plan="none"))
    path = f"{PURGE_API_PATH}/zones/z1/purge_cache"

    assert (await call(emu, path, {"tags": ["a"]}))[0] == 403
    assert (await call(emu, path, {"tags": ["a"]}, {"Authorization": "Bearer t1"}))[0] == 200


async def test_the_log_lists_purges_newest_first_with_what_they_did(start):
    emu = await start()
    await warm(emu, "/page?tags=catalog")
    await call(emu, PURGE, {"tags": ["catalog"]})
    await call(emu, INVALIDATE, {"hosts": ["127.0.0.1"]})

    async with emu.client().get(LOG) as response:
        assert response.status == 200
        log = await response.json()

    assert log["count"] == 2
    newest, oldest = log["purges"]
    assert (newest["mode"], newest["selector"], newest["affected"]) == ("soft", "hosts", 0)
    assert oldest == {
        "time": emu.clock.now(),
        "zone": DEV_ZONE_ID,
        "mode": "hard",
        "selector": "tags",
        "values": ["catalog"],
        "value_count": 1,
        "affected": 3,
        "pops": {"SFO": 1, "ORD": 1, "LHR": 1, "UPPER": 0},
    }


async def test_the_log_endpoint_takes_get_only(start):
    emu = await start()
    async with emu.client().post(LOG) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "GET"


async def test_observers_hear_of_each_purge(start):
    emu = await start()
    heard: list[str] = []
    emu.emulator.on_purge.append(lambda record: heard.append(record.selector))

    await call(emu, PURGE, {"purge_everything": True})

    assert heard == ["purge_everything"]
