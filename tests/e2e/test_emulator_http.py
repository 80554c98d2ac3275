"""The emulator driven over real HTTP: a sample Worker on three PoPs, a real origin on loopback."""

import asyncio
import io
import json
from pathlib import Path

import pytest
from aiohttp import web

from emulator import frontdoor

SF = (37.7749, -122.4194)
CHICAGO = (41.8781, -87.6298)
LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)


async def test_requests_go_to_the_pop_nearest_the_client(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    for geo, colo in ((SF, "SFO"), (CHICAGO, "ORD"), (PARIS, "LHR")):
        async with emu.client(geo=geo).get("/") as response:
            assert await response.text() == f"hello from {colo}"


async def test_every_response_carries_a_cf_ray_naming_the_pop(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client(geo=LONDON).get("/missing-route") as response:
        ray, colo = response.headers["CF-Ray"].split("-")
    assert colo == "LHR"
    assert len(ray) == 16
    int(ray, 16)


async def test_a_pinned_pop_wins_over_the_client_location(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client(geo=SF, pop="lhr").get("/") as response:
        assert await response.text() == "hello from LHR"


async def test_cf_follows_the_client_location(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client(geo=PARIS).get("/cf") as response:
        cf = await response.json()
    assert cf["colo"] == "LHR"
    assert cf["country"] == "FR"
    assert cf["city"] == "Paris"
    assert cf["timezone"] == "Europe/Paris"
    assert cf["continent"] == "EU"
    assert cf["isEUCountry"] == "1"
    assert cf["latitude"] == "48.85660"
    assert isinstance(cf["asn"], int)


async def test_cf_names_the_us_state_as_region(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client(geo=CHICAGO).get("/cf") as response:
        cf = await response.json()
    assert (cf["city"], cf["region"], cf["regionCode"]) == ("Chicago", "Illinois", "IL")


async def test_cf_override_header_replaces_fields(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client(geo=SF, cf={"postalCode": "94110", "asn": 13335}).get("/cf") as resp:
        cf = await resp.json()
    assert (cf["postalCode"], cf["asn"], cf["colo"]) == ("94110", 13335, "SFO")


async def test_client_ranges_place_clients_by_connecting_ip(
    popcache_emulator, sample_config, tmp_path
):
    topology = tmp_path / "topology.toml"
    topology.write_text(
        '[[pop]]\ncolo = "SFO"\ncity = "San Francisco"\ncountry = "US"\n'
        "latitude = 37.62\nlongitude = -122.38\n"
        '[[pop]]\ncolo = "LHR"\ncity = "London"\ncountry = "GB"\n'
        "latitude = 51.47\nlongitude = -0.45\n"
        '[[client]]\ncidr = "203.0.113.0/24"\nlatitude = 51.5\nlongitude = -0.12\n'
        'asn = 64500\npostal_code = "EC1A"\n'
    )
    emu = await popcache_emulator(sample_config, topology=topology)
    async with emu.client(ip="203.0.113.9").get("/cf") as response:
        cf = await response.json()
    assert (cf["colo"], cf["asn"], cf["postalCode"], cf["country"]) == ("LHR", 64500, "EC1A", "GB")


async def test_a_malformed_client_geo_header_is_a_problem_naming_it(
    popcache_emulator, sample_config
):
    emu = await popcache_emulator(sample_config)
    session = emu.client()
    async with session.get("/", headers={"X-Popcache-Client-Geo": "north"}) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem = json.loads(await response.text())
    assert problem["field"] == "X-Popcache-Client-Geo"
    assert "CF-Ray" in response.headers


async def test_an_unknown_pinned_pop_is_a_problem_naming_the_header(
    popcache_emulator, sample_config
):
    emu = await popcache_emulator(sample_config)
    async with emu.client(pop="XXX").get("/") as response:
        assert response.status == 400
        problem = json.loads(await response.text())
    assert problem["field"] == "X-Popcache-Pop"


async def test_kv_roundtrips_through_the_worker(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    client = emu.client(geo=SF)
    async with client.put("/kv/greeting", data="bonjour") as response:
        assert response.status == 201
    async with emu.client(geo=LONDON).get("/kv/greeting") as response:
        assert await response.text() == "bonjour"


async def test_kv_survives_an_emulator_restart(popcache_emulator, sample_config, tmp_path):
    first = await popcache_emulator(sample_config, persist_to=tmp_path)
    async with first.client().put("/kv/kept", data="still here") as response:
        assert response.status == 201
    await first.close()
    second = await popcache_emulator(sample_config, persist_to=tmp_path)
    async with second.client().get("/kv/kept") as response:
        assert await response.text() == "still here"


async def test_the_cache_api_hits_in_one_pop_and_misses_in_another(
    popcache_emulator, sample_config
):
    emu = await popcache_emulator(sample_config)
    sfo, lhr = emu.client(geo=SF), emu.client(geo=LONDON)
    async with sfo.get("/cached") as response:
        assert "CF-Cache-Status" not in response.headers
    await emu.drain()
    async with sfo.get("/cached") as response:
        assert response.headers["CF-Cache-Status"] == "HIT"
    async with lhr.get("/cached") as response:
        assert "CF-Cache-Status" not in response.headers


async def test_cached_entries_expire_with_the_fake_clock(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    sfo = emu.client(geo=SF)
    async with sfo.get("/cached"):
        pass
    await emu.drain()
    emu.clock.advance(61)
    async with sfo.get("/cached") as response:
        assert "CF-Cache-Status" not in response.headers


async def test_purging_caches_empties_every_pop(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client(geo=SF).get("/cached"):
        pass
    await emu.drain()
    assert emu.purge_caches() == 1
    async with emu.client(geo=SF).get("/cached") as response:
        assert "CF-Cache-Status" not in response.headers


async def test_each_pop_has_its_own_isolate_state(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    for _ in range(3):
        async with emu.client(geo=SF).get("/"):
            pass
    async with emu.client(geo=SF).get("/isolate-hits") as response:
        assert (await response.json())["hits"] == 4
    async with emu.client(geo=LONDON).get("/isolate-hits") as response:
        assert (await response.json())["hits"] == 1


async def test_the_scheduled_handler_runs_through_cdn_cgi(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    client = emu.client()
    url = "/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1767225600000"
    async with client.get(url) as response:
        assert response.status == 200
    async with client.get("/last-cron") as response:
        assert await response.text() == "*/5 * * * *@1767225600000"


async def test_the_scheduled_fixture_uses_the_fake_clock(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    await emu.scheduled("0 * * * *")
    async with emu.client().get("/last-cron") as response:
        assert await response.text() == f"0 * * * *@{int(emu.clock.now() * 1000)}"


async def test_a_raising_handler_answers_500_with_its_traceback_and_serving_goes_on(
    popcache_emulator, sample_config
):
    emu = await popcache_emulator(sample_config)
    client = emu.client()
    async with client.get("/boom") as response:
        assert response.status == 500
        body = await response.text()
    assert "Traceback" in body
    assert "RuntimeError: the handler exploded" in body
    assert "src/worker.py" in body  # real files and lines: pdb and coverage see them too
    async with client.get("/") as response:
        assert response.status == 200


async def test_fetch_reaches_a_real_origin_on_loopback(
    popcache_emulator, sample_config, aiohttp_raw_server
):
    async def origin(request: web.BaseRequest) -> web.Response:
        return web.Response(text=f"origin saw {request.path}")

    server = await aiohttp_raw_server(origin)
    emu = await popcache_emulator(sample_config, origin=str(server.make_url("")).rstrip("/"))
    async with emu.client().get("/proxy") as response:
        assert await response.text() == "origin saw /healthz"


async def test_pass_through_on_exception_forwards_to_the_origin(
    popcache_emulator, sample_config, aiohttp_raw_server
):
    async def origin(request: web.BaseRequest) -> web.Response:
        return web.Response(text=f"origin answered {request.method} {request.path_qs}")

    server = await aiohttp_raw_server(origin)
    emu = await popcache_emulator(sample_config, origin=str(server.make_url("")).rstrip("/"))
    async with emu.client().post("/pass-through?x=1", data="payload") as response:
        assert response.status == 200
        assert await response.text() == "origin answered POST /pass-through?x=1"


async def test_the_edge_bundle_proxies_the_demo_origin(popcache_emulator, repo: Path):
    emu = await popcache_emulator(repo / "wrangler.toml", origin="demo")
    async with emu.client(geo=SF).get("/api/products") as response:
        assert response.status == 200
        assert response.headers["CF-Ray"].endswith("-SFO")
        body = await response.json()
    assert body


async def test_scheduled_on_a_worker_without_the_handler_is_workerds_500(popcache_emulator):
    worker = Path(__file__).parent / "workers" / "queues" / "wrangler.toml"
    emu = await popcache_emulator(worker)
    async with emu.client().get("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*") as response:
        assert response.status == 500
        assert "Handler does not export a scheduled() function." in await response.text()


async def test_scheduled_on_the_edge_bundle_runs_its_warmer(popcache_emulator, repo: Path):
    emu = await popcache_emulator(repo / "wrangler.toml", origin="http://127.0.0.1:9")
    async with emu.client().get("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*") as response:
        assert (response.status, await response.text()) == (200, "ok")


async def test_other_cdn_cgi_paths_are_a_404_problem(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client().get("/cdn-cgi/nothing-here") as response:
        assert response.status == 404
        assert response.content_type == "application/problem+json"


async def test_a_bad_scheduled_time_is_a_problem_naming_it(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client().get("/cdn-cgi/handler/scheduled?time=soon") as response:
        assert response.status == 400
        assert json.loads(await response.text())["field"] == "time"


async def test_the_worker_sees_cloudflares_request_headers_but_not_the_emulators(
    popcache_emulator, sample_config, aiohttp_raw_server
):
    seen: dict[str, str] = {}

    async def origin(request: web.BaseRequest) -> web.Response:
        seen.update((name.lower(), value) for name, value in request.headers.items())
        return web.Response(text="ok")

    server = await aiohttp_raw_server(origin)
    emu = await popcache_emulator(sample_config, origin=str(server.make_url("")).rstrip("/"))
    async with emu.client(geo=LONDON).get("/pass-through", headers={"X-Mine": "1"}) as response:
        assert response.status == 200, await response.text()
    assert seen["x-mine"] == "1"
    assert seen["cf-ray"].endswith("-LHR")
    assert seen["cf-ipcountry"] == "GB"
    assert "x-popcache-client-geo" not in seen


async def test_the_queue_fixture_delivers_a_batch_to_the_consumer(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    result = await emu.queue("notes-events", [{"key": "q1"}, {"key": "q2", "later": True}])
    assert result.outcome == "ok"
    assert len(result.acked) == 1
    assert list(result.retried.values()) == [30]
    async with emu.client().get("/kv/q1") as response:
        assert await response.text() == "notes-events:1"


async def test_a_raising_consumer_retries_the_batch(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    result = await emu.queue("notes-events", [{"fail": True}], attempts=2)
    assert result.outcome == "exception"
    assert isinstance(result.error, RuntimeError)
    assert list(result.retried.values()) == [None]


async def test_the_queue_fixture_names_the_configured_consumers(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    with pytest.raises(ValueError, match="notes-events"):
        await emu.queue("unknown-queue", [{}])


async def test_x_forwarded_for_gets_the_client_appended_as_cloudflare_does(
    popcache_emulator, sample_config
):
    emu = await popcache_emulator(sample_config)
    client = emu.client(ip="203.0.113.9")
    async with client.get("/headers", headers={"X-Forwarded-For": "10.0.0.1"}) as response:
        seen = await response.json()
    assert seen["x-forwarded-for"] == "10.0.0.1, 203.0.113.9"
    assert seen["cf-connecting-ip"] == "203.0.113.9"


async def _raw_request(emu, raw):
    """Send ``raw`` bytes to the front door; the response's head and body."""
    host, port = emu.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(raw)
    await writer.drain()
    head, _, body = (await reader.read()).partition(b"\r\n\r\n")
    writer.close()
    return head, body


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n", "request-line"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "headers"),
        (b"GET /%00?\xff HTTP/1.1\r\nHost: x\r\n\r\n", "url"),
        (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "request-line"),
    ],
    ids=["request-line", "header", "url", "too-long"],
)
async def test_a_malformed_request_is_a_400_problem_naming_the_part(
    popcache_emulator, sample_config, raw, field
):
    emu = await popcache_emulator(sample_config)
    head, body = await _raw_request(emu, raw)
    assert head.startswith(b"HTTP/1.0 400") or head.startswith(b"HTTP/1.1 400")
    assert b"application/problem+json" in head.lower()
    assert b"server: cloudflare" in head.lower()
    problem = json.loads(body)
    assert (problem["status"], problem["field"]) == (400, field)
    assert problem["detail"]


@pytest.mark.parametrize(
    ("target", "host", "url"),
    [
        ("/a/./b/../../url?q=a%20b", "LocalHost:{port}", "http://localhost:{port}/url?q=a%20b"),
        ("/url", "Shop.EXAMPLE:80", "http://shop.example/url"),
        ("http://Other.example/x/../url", "ignored.example", "http://other.example/url"),
    ],
    ids=["dot-segments", "default-port", "absolute-form"],
)
async def test_the_worker_sees_the_url_as_new_url_serializes_it(
    popcache_emulator, sample_config, target, host, url
):
    emu = await popcache_emulator(sample_config)
    port = emu.url.rpartition(":")[2]
    raw = f"GET {target} HTTP/1.1\r\nHost: {host.format(port=port)}\r\nConnection: close\r\n\r\n"
    head, body = await _raw_request(emu, raw.encode())
    assert head.startswith(b"HTTP/1.1 200"), head
    assert body.decode() == url.format(port=port)


@pytest.mark.parametrize(
    ("target", "host", "field"),
    [
        ("/", "bad host", "Host"),
        ("/", "shop.example:99999", "Host"),
        ("/", "a<b", "Host"),
        ("ftp://shop.example/", "shop.example", "url"),
    ],
    ids=["space", "port", "forbidden-code-point", "not-http"],
)
async def test_a_url_that_does_not_parse_is_a_400_problem_naming_the_part(
    popcache_emulator, sample_config, target, host, field
):
    emu = await popcache_emulator(sample_config)
    raw = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    head, body = await _raw_request(emu, raw.encode())
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b"application/problem+json" in head.lower()
    assert b"server: cloudflare" in head.lower()
    problem = json.loads(body)
    assert (problem["status"], problem["field"]) == (400, field)
    assert problem["detail"]


async def test_responses_say_server_cloudflare_as_the_edge_does(popcache_emulator, sample_config):
    emu = await popcache_emulator(sample_config)
    async with emu.client().get("/") as response:
        assert response.headers.getall("Server") == ["cloudflare"]


async def test_a_body_over_aiohttps_one_mebibyte_reaches_the_worker(
    popcache_emulator, sample_config
):
    emu = await popcache_emulator(sample_config)
    size = 3 * 1024 * 1024
    async with emu.client().put("/kv/large", data=io.BytesIO(b"x" * size)) as response:
        assert response.status == 201
    async with emu.client().get("/kv/large") as response:
        assert len(await response.text()) == size


async def test_a_body_over_cloudflares_limit_is_a_413_problem_before_the_worker(
    popcache_emulator, sample_config, monkeypatch
):
    monkeypatch.setattr(frontdoor, "MAX_BODY", 4096)
    emu = await popcache_emulator(sample_config)
    async with emu.client().put("/kv/huge", data="x" * 5000) as response:
        problem = await response.json(content_type=None)
        assert response.status == 413
        assert response.headers["Content-Type"] == "application/problem+json"
    assert problem["field"] == "body"
    async with emu.client().get("/kv/huge") as response:
        assert response.status == 404
