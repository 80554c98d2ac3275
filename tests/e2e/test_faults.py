"""Faults injected on the way to any origin, over real HTTP: a relay Worker, a real origin on
loopback, the faults set by the plugin, the /cdn-cgi/popcache/faults endpoint and the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from emulator.faultconfig import FaultSpecError
from emulator.pytest_plugin import EmulatorHandle

SAMPLE = Path(__file__).parent / "workers" / "sample" / "wrangler.toml"

RELAY = '''
"""Relays /<path> to the origin and says what the fetch and the body read did."""
from workers import Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        target = request.url.split("://", 1)[1].partition("/")[2]
        if target.startswith("raw/"):  # the origin's response, passed through untouched
            return await fetch(f"{self.env.ORIGIN}/{target.removeprefix('raw/')}")
        if target.startswith("elsewhere/"):
            url = f"{self.env.ELSEWHERE}/{target.removeprefix('elsewhere/')}"
        else:
            url = f"{self.env.ORIGIN}/{target}"
        try:
            upstream = await fetch(url)
        except OSError as exc:
            return Response.json({"stage": "fetch", "error": str(exc)})
        try:
            body = await upstream.text()
        except OSError as exc:
            return Response.json({"stage": "body", "status": upstream.status, "error": str(exc)})
        return Response.json(
            {
                "stage": "done",
                "status": upstream.status,
                "headers": dict(upstream.headers.items()),
                "body": body,
            }
        )
'''


class Origin:
    """A real origin on loopback that remembers the paths it was asked for."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.url = ""

    async def handle(self, request: web.BaseRequest) -> web.Response:
        self.seen.append(request.path)
        if request.path.startswith("/big"):
            return web.Response(body=b"x" * 200_000)
        return web.Response(text=f"origin {request.path}")


async def _origin(aiohttp_raw_server: Any) -> Origin:
    origin = Origin()
    server = await aiohttp_raw_server(origin.handle)
    origin.url = str(server.make_url("")).rstrip("/")
    return origin


@pytest.fixture
async def origin(aiohttp_raw_server: Any) -> Origin:
    return await _origin(aiohttp_raw_server)


@pytest.fixture
async def elsewhere(aiohttp_raw_server: Any) -> Origin:
    return await _origin(aiohttp_raw_server)


@pytest.fixture
def relay(tmp_path: Path, origin: Origin, elsewhere: Origin) -> Path:
    """A Worker whose ORIGIN var is the origin (no --origin needed) and ELSEWHERE another host."""
    (tmp_path / "worker.py").write_text(RELAY)
    config = tmp_path / "wrangler.toml"
    config.write_text(
        'name = "relay"\nmain = "worker.py"\ncompatibility_flags = ["python_workers"]\n'
        f'[vars]\nORIGIN = "{origin.url}"\nELSEWHERE = "{elsewhere.url}"\n'
    )
    return config


Start = Callable[..., Awaitable[EmulatorHandle]]


@pytest.fixture
def start(popcache_emulator: Start, relay: Path) -> Start:
    async def run(*faults: dict[str, Any], **options: Any) -> EmulatorHandle:
        return await popcache_emulator(relay, faults=list(faults), **options)

    return run


async def ask(emu: EmulatorHandle, path: str, pop: str = "SFO") -> dict[str, Any]:
    async with emu.client(pop=pop).get(path) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
    return answer


async def test_latency_is_added_before_the_origin_answers(start, origin):
    emu = await start({"path": "/api/**", "latency_ms": 300})
    began = time.monotonic()
    answer = await ask(emu, "/api/products")
    assert time.monotonic() - began >= 0.3
    assert (answer["stage"], answer["body"]) == ("done", "origin /api/products")
    assert origin.seen == ["/api/products"]


async def test_the_latency_of_every_matching_fault_adds_up_jitter_included(start):
    emu = await start(
        {"path": "/api/**", "latency_ms": 200},
        {"path": "/api/prices/*", "latency_ms": 100, "jitter_ms": 50},
    )
    began = time.monotonic()
    assert (await ask(emu, "/api/prices/A"))["stage"] == "done"
    assert time.monotonic() - began >= 0.3


async def test_a_503_is_answered_instead_of_the_origin(start, origin):
    emu = await start({"path": "/api/**", "status": 503})
    answer = await ask(emu, "/api/products")
    assert (answer["stage"], answer["status"]) == ("done", 503)
    assert answer["headers"]["popcache-injected"] == "status"
    assert answer["headers"]["content-type"] == "application/problem+json"
    assert "retry-after" not in answer["headers"]
    assert json.loads(answer["body"])["status"] == 503
    assert origin.seen == []


async def test_a_429_carries_retry_after_and_the_origin_is_not_reached(start, origin):
    emu = await start({"path": "/api/**", "status": 429, "retry_after": 5})
    answer = await ask(emu, "/api/prices/A")
    assert (answer["status"], answer["headers"]["retry-after"]) == (429, "5")
    assert "fault[0]" in json.loads(answer["body"])["detail"]
    assert origin.seen == []


async def test_a_refused_connection_raises_as_the_network_would(start, origin):
    emu = await start({"path": "/api/stock/**", "kind": "refuse"})
    answer = await ask(emu, "/api/stock/A")
    assert answer["stage"] == "fetch"
    assert answer["error"].startswith("Network connection lost. (ClientConnectorError: ")
    assert "Cannot connect to host" in answer["error"]
    assert origin.seen == []


async def test_a_reset_lets_the_headers_through_and_breaks_the_body_off(start, origin):
    emu = await start({"path": "/api/**", "kind": "reset"})
    answer = await ask(emu, "/api/products")
    assert (answer["stage"], answer["status"]) == ("body", 200)
    assert answer["error"].startswith("Network connection lost.")
    assert origin.seen == ["/api/products"]


async def test_a_reset_response_passed_through_breaks_off_at_the_client_too(start):
    emu = await start({"path": "/big/**", "kind": "reset"})
    async with emu.client().get("/raw/big/file") as response:
        assert response.status == 200
        assert response.headers["Popcache-Injected"] == "reset"
        assert response.headers["CF-Ray"].endswith("-SFO")
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    async with emu.client().get("/raw/other") as response:  # the front door serves on
        assert await response.text() == "origin /other"


async def test_faults_reach_only_the_pops_they_list(start, origin):
    # No upper tier: with one, ORD and LHR would be answered from SFO's fetch, never faulted.
    emu = await start({"path": "/**", "status": 503, "pops": ["LHR"]}, tiered=False)
    assert (await ask(emu, "/a", pop="SFO"))["status"] == 200
    assert (await ask(emu, "/a", pop="ORD"))["status"] == 200
    assert (await ask(emu, "/a", pop="LHR"))["status"] == 503
    assert origin.seen == ["/a", "/a"]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/prices/A", 503), ("/api/prices/A/B", 200), ("/api/prices", 200), ("/api/stock/A", 200)],
)
async def test_faults_reach_only_the_paths_their_pattern_covers(start, path, status):
    emu = await start({"path": "/api/prices/*", "status": 503})
    assert (await ask(emu, path))["status"] == status


async def test_the_first_fault_that_fires_decides_the_outcome(start, origin):
    emu = await start(
        {"path": "/api/**", "status": 429, "rate": 0},
        {"path": "/api/stock/**", "kind": "refuse"},
        {"path": "/api/**", "status": 503},
    )
    assert (await ask(emu, "/api/stock/A"))["stage"] == "fetch"
    assert (await ask(emu, "/api/prices/A"))["status"] == 503
    assert origin.seen == []


async def test_a_rate_fires_as_the_seeded_generator_draws(start):
    emu = await start({"path": "/api/**", "status": 503, "rate": 0.5}, fault_seed=7)
    draws = random.Random(7)
    expected = [draws.random() < 0.5 for _ in range(24)]
    assert True in expected
    assert False in expected
    seen = [(await ask(emu, f"/api/{n}"))["status"] == 503 for n in range(24)]
    assert seen == expected


async def test_faults_aim_at_the_origin_only(start, origin, elsewhere):
    emu = await start({"path": "/**", "status": 503})
    assert (await ask(emu, "/elsewhere/x"))["status"] == 200
    assert (await ask(emu, "/x"))["status"] == 503
    assert (elsewhere.seen, origin.seen) == (["/x"], [])


async def test_each_faulted_fetch_is_logged_with_pop_and_fault(start, caplog):
    emu = await start({"path": "/api/**", "status": 503})
    with caplog.at_level(logging.INFO, logger="popcache.faults"):
        await ask(emu, "/api/products", pop="ORD")
    [record] = [r for r in caplog.records if r.name == "popcache.faults"]
    assert record.getMessage().startswith("ORD: GET http://")
    assert record.getMessage().endswith("/api/products: fault[0] status 503")


async def test_the_plugin_replaces_faults_and_refuses_bad_ones_whole(start):
    emu = await start()
    assert emu.faults == []
    emu.set_faults({"path": "/api/**", "status": 502})
    assert (await ask(emu, "/api/x"))["status"] == 502
    with pytest.raises(FaultSpecError, match=r"fault\[1\]\.rate"):
        emu.set_faults({"path": "/a", "status": 503}, {"path": "/b", "status": 503, "rate": 2})
    assert emu.faults == [
        {"path": "/api/**", "kind": "status", "latency_ms": 0, "jitter_ms": 0, "status": 502}
        | {"rate": 1.0}
    ]
    emu.set_faults()
    assert (await ask(emu, "/api/x"))["status"] == 200


ENDPOINT = "/cdn-cgi/popcache/faults"


async def test_the_endpoint_shows_and_replaces_the_faults(start):
    emu = await start()
    client = emu.client()
    async with client.get(ENDPOINT) as response:
        assert response.status == 200
        assert await response.json() == {"fault": []}
    faults = {"fault": [{"path": "/**", "status": 503, "pops": ["sfo"]}]}
    async with client.put(ENDPOINT, json=faults) as response:
        assert response.status == 200
        shown = await response.json()
    assert shown["fault"][0] | {"pops": ["SFO"]} == shown["fault"][0]
    assert (await ask(emu, "/x"))["status"] == 503
    async with client.get(ENDPOINT) as response:  # the emulator's endpoints are never faulted
        assert response.status == 200
        assert await response.json() == shown
    async with client.put(ENDPOINT, json=shown) as response:  # what GET shows, PUT takes back
        assert await response.json() == shown


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            b'{"fault": [{"path": "/a", "status": 503}, {"path": "/b", "status": 404}]}',
            "fault[1].status",
        ),
        (b'{"fault": [{"path": "api", "status": 503}]}', "fault[0].path"),
        (b'{"fault": [{"path": "/a", "pops": ["XXX"], "kind": "reset"}]}', "fault[0].pops"),
        (b'{"faults": []}', "faults"),
        (b"[]", "body"),
        (b"not json", "body"),
    ],
    ids=["status", "path", "pops", "top-level", "not-an-object", "not-json"],
)
async def test_a_bad_put_is_a_400_problem_naming_the_field_and_changes_nothing(start, body, field):
    emu = await start({"path": "/api/**", "latency_ms": 1})
    client = emu.client()
    async with client.get(ENDPOINT) as response:
        before = await response.json()
    async with client.put(ENDPOINT, data=body) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem = json.loads(await response.text())
    assert (problem["status"], problem["field"]) == (400, field)
    assert problem["detail"]
    async with client.get(ENDPOINT) as response:
        assert await response.json() == before


async def test_other_methods_on_the_endpoint_are_a_405_problem(start):
    emu = await start()
    async with emu.client().delete(ENDPOINT) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "GET, PUT"
        assert response.content_type == "application/problem+json"


# `popcache dev` as a user runs it.


async def popcache(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def fails_with(*args: str) -> str:
    process = await popcache("dev", "-c", str(SAMPLE), "--in-memory", *args)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2, stderr.decode()
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


async def test_dev_with_a_bad_faults_file_is_one_line_naming_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[fault]]\npath = "/api/**"\nstatus = 503\n[[fault]]\npath = "/x"\nstatus = 404\n'
    )
    line = await fails_with("--faults", str(bad))
    assert line == (
        f"popcache: {bad}: fault[1].status: must be one of 429, 500, 502, 503, 504, got 404"
    )


async def test_dev_with_a_missing_faults_file_is_one_line(tmp_path):
    line = await fails_with("--faults", str(tmp_path / "nope.toml"))
    assert line.startswith(f"popcache: {tmp_path / 'nope.toml'}: ")


@pytest.mark.parametrize(
    ("args", "start_of_line"),
    [
        (
            ["--fault", "path=/x,status=503,rate=2"],
            "popcache: --fault 'path=/x,status=503,rate=2': rate: ",
        ),
        (
            ["--fault", "path=/x,pops=ZZZ,status=503"],
            "popcache: --fault 'path=/x,pops=ZZZ,status=503': pops: ",
        ),
        (["--fault-seed", "soon"], "popcache: argument --fault-seed: "),
    ],
    ids=["rate", "pops", "seed"],
)
async def test_dev_with_a_bad_fault_option_is_one_line(args, start_of_line):
    assert (await fails_with(*args)).startswith(start_of_line)


async def test_dev_injects_the_faults_of_its_options_and_the_endpoint_changes_them(origin):
    process = await popcache(
        "dev", "-c", str(SAMPLE), "--port", "0", "--in-memory", "--origin", origin.url,
        "--fault", "path=/healthz,status=503", "--fault-seed", "1",
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.rstrip().endswith("· 1 fault injected"), line
        url = line.split()[4]
        async with aiohttp.ClientSession(url) as session:
            async with session.get("/proxy") as response:  # the sample relays /healthz
                assert response.status == 503
            async with session.put(ENDPOINT, json={"fault": []}) as response:
                assert response.status == 200
            async with session.get("/proxy") as response:
                assert (response.status, await response.text()) == (200, "origin /healthz")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert b"popcache.faults: SFO: GET " in stderr
    assert b"/healthz: fault[0] status 503" in stderr
