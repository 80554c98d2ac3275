"""One conformance suite, two runtimes: the CPython emulator and the real SDK under Pyodide.

Every case of ``cases.py`` runs twice against the same scripted origin (``origin.py``, on
loopback, in its own thread): once on the emulator, in-process -- one ``Pop`` of an ``Emulator``
built from the repo's ``wrangler.toml``, called with ``Pop.fetch`` as its front door would, on a
``FakeClock`` -- and once on the Pyodide harness (``tests/harness``), started once per session,
where ``edge/entry.py`` runs with workers-runtime-sdk 1.9.5 and is called as workerd calls a
``class Default(WorkerEntrypoint)``. Both legs get byte-identical requests (the JS ``Request``
the runtime would hand the worker, Cloudflare's request fields and ``request.cf`` included) at
the same fake times, and the same KV namespaces (empty at the start of a case, written by its
``KVPut`` steps). After each step the driver records the response, the requests the origin
received during the step, the live entries of ``caches.default`` and any failed ``waitUntil``
work; the two transcripts, passed through ``normalise``, must be equal. A difference is a bug in
the emulator or in the harness.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.client import REPO, SDK_DIR, Harness, HarnessUnavailable, sdk_pin

from emulator.app import Emulator
from emulator.clock import FakeClock
from emulator.pop import Pop
from emulator.runtime.headers import JsHeaders
from emulator.runtime.http import JsRequest
from emulator.runtime.jsproxy import JsObject
from emulator.topology import DEFAULT_TOPOLOGY, Topology
from emulator.wrangler import load_config

from .cases import (
    CASES,
    START,
    Advance,
    Case,
    Expect,
    Fetch,
    KVPut,
    PurgeTags,
    Queue,
    Scheduled,
)
from .origin import OriginRequest, ScriptedOrigin

# The harness's deploy: a version of its own, so that nothing but ``normalise`` equates keys.
HARNESS_VERSION = {
    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "popcache:conformance-harness")),
    "tag": "",
    "timestamp": "2026-01-01T00:00:00.000Z",
}
# The workers a case can run: wrangler.toml, and the harness's CF_VERSION_METADATA (None: the
# worker has no [version_metadata] binding).
WORKERS: dict[str, tuple[Path, dict[str, str] | None]] = {
    "edge": (REPO / "wrangler.toml", HARNESS_VERSION),
    "probe": (Path(__file__).parent / "probe" / "wrangler.toml", None),
}
ONE_POP = Topology(pops=DEFAULT_TOPOLOGY.pops[:1])

Record = dict[str, Any]

# Fields each side's HTTP client adds on its own on the way to the origin, never the worker's
# doing: connection management and Content-Length (both), and the defaults Node's fetch adds to a
# request that lacks them (the Fetch standard's browser defaults; workerd adds none of these).
TRANSPORT_FIELDS = frozenset({"connection", "keep-alive", "content-length"})
CLIENT_DEFAULTS = frozenset(
    {("sec-fetch-mode", "cors"), ("accept-language", "*"), ("user-agent", "node")}
)
# A view's cache key (edge/views.py): its name, then a digest of its parts' keys.
VIEW_KEY_DIGEST = re.compile(r"(/~popcache/view/<version>/[^/]+/~)[0-9a-f]{32}")


def normalise(record: Record, version: str) -> Record:
    """A step's record with what legitimately differs between the two legs made equal.

    This is the only place the legs are reconciled; everything not named here must match:

    - The deployed version's id (``CF_VERSION_METADATA.id``) is ``<version>`` wherever it
      appears: the emulator derives it from the bundle's files, the harness has its own, and it
      is part of every cache key (``Cache-Status: ...; key="..."``, ``caches.default`` keys).
      A view's key ends in a digest of its parts' keys, version and all, so that digest is
      ``<digest>``; the parts' own entries, compared as they are, show what went into it.
    - ``CF-Ray`` on responses is dropped: Cloudflare's edge (the emulator's front door) adds it,
      not the worker; neither leg here goes through a front door, so this is only a guard.
    - An uncaught exception is its exception type: the emulator answers a 500 carrying the
      traceback (as ``wrangler dev`` does), workerd a 500 of its own; failed ``waitUntil`` work
      likewise (logged by the emulator, collected by the harness).
    - Origin requests lose ``TRANSPORT_FIELDS`` and the ``CLIENT_DEFAULTS`` pairs (by value: a
      worker's own ``User-Agent`` still counts), and a step's origin requests are sorted: the
      requests a step makes at once (a batch's items, a view's parts) reach the origin in the
      order each side's HTTP client gets them onto connections, which depends on what its pool
      kept from earlier cases.

    ``Date`` needs no normalising: the scripted origin stamps the conformance clock's time, and
    neither leg adds a ``Date`` of its own at the ``Response`` level.
    """

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return VIEW_KEY_DIGEST.sub(r"\1<digest>", value.replace(version, "<version>"))
        if isinstance(value, list | tuple):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    record = scrub(record)
    response = record.get("response")
    if response is not None:
        response["headers"] = [pair for pair in response["headers"] if pair[0] != "cf-ray"]
    for request in record.get("origin", []):
        request["headers"] = [
            pair
            for pair in request["headers"]
            if pair[0] not in TRANSPORT_FIELDS and tuple(pair) not in CLIENT_DEFAULTS
        ]
    if "origin" in record:
        record["origin"] = sorted(record["origin"], key=lambda request: json.dumps(request))
    if "background_errors" in record:
        record["background_errors"] = sorted(
            _exception_type(e) for e in record["background_errors"]
        )
    return record


def _exception_type(text: str) -> str:
    """``TypeError`` from a traceback or a ``TypeError: ...`` line."""
    last = text.strip().splitlines()[-1] if text.strip() else ""
    return last.split(":", 1)[0].strip().rsplit(".", 1)[-1]


def _origin_records(requests: list[OriginRequest]) -> list[Record]:
    return [
        {
            "method": request.method,
            "target": request.target,
            "headers": sorted(list(pair) for pair in request.headers),
            "body": request.body,
        }
        for request in requests
    ]


# --- the emulator leg ---------------------------------------------------------------------------


class _ErrorLog(logging.Handler):
    """Failed waitUntil work, which the emulator logs (with its traceback) and goes on."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith("Uncaught exception in waitUntil"):
            return  # handler exceptions are in the step's own record
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.errors.append(f"{type(error).__name__}: {error}")


async def run_on_emulator(case: Case, origin: ScriptedOrigin) -> list[Record]:
    clock = FakeClock(START)
    wrangler, _ = WORKERS[case.worker]
    emulator = Emulator(load_config(wrangler), topology=ONE_POP, clock=clock, origin=origin.url)
    pop = next(iter(emulator.pops.values()))
    assert pop.isolate is not None
    metadata = getattr(pop.isolate.env, "CF_VERSION_METADATA", None)
    version = metadata.id if metadata is not None else "<no version>"
    errors = _ErrorLog()
    worker_log = logging.getLogger("popcache.worker")
    worker_log.addHandler(errors)
    origin.script(case.origin, clock.now())
    transcript = []
    try:
        for step in case.steps:
            record: Record = {"step": step.label()}
            if isinstance(step, Fetch):
                record["response"] = await _emulator_fetch(pop, step)
            elif isinstance(step, Advance):
                clock.advance(step.seconds)
                origin.now = clock.now()
            elif isinstance(step, PurgeTags):
                record["purged"] = pop.caches.purge_tags(step.tags)
            elif isinstance(step, Scheduled):
                try:
                    await emulator.scheduled(step.cron)
                    record["scheduled"] = "ok"
                except Exception as exc:
                    record["scheduled"] = type(exc).__name__
            elif isinstance(step, Queue):
                result = await emulator.queue(step.queue, step.bodies)
                record["queue"] = type(result.error).__name__ if result.error else "ok"
            elif isinstance(step, KVPut):
                await emulator.kv_namespace(step.binding).put(step.key, step.value)
            await emulator.drain()  # the step's waitUntil work is part of its effects
            record["origin"] = _origin_records(origin.take())
            record["cache"] = _emulator_cache(pop, clock.now())
            record["background_errors"] = errors.errors[:]
            errors.errors.clear()
            transcript.append(normalise(record, version))
    finally:
        worker_log.removeHandler(errors)
        await emulator.stop()
    return transcript


async def _emulator_fetch(pop: Pop, step: Fetch) -> Record:
    request = JsRequest(
        step.url,
        method=step.method,
        headers=JsHeaders(step.all_headers()),
        body=step.body.encode() if step.body is not None else None,
        cf=JsObject(step.cf) if step.cf is not None else None,
    )
    response = await pop.fetch(request)
    body = (await response.arrayBuffer()).decode("utf-8", errors="replace")
    if response.status == 500 and body.startswith("Traceback (most recent call last)"):
        return {"status": 500, "exception": _exception_type(body)}
    return {"status": response.status, "headers": _pairs(response.headers.entries()), "body": body}


def _pairs(entries: Iterator[tuple[str, str]] | list[Any]) -> list[list[str]]:
    return [[str(name), str(value)] for name, value in entries]


def _emulator_cache(pop: Pop, now: float) -> list[Record]:
    """The live entries of the PoP's ``caches.default`` (read from the emulator's internals:
    the Cache API has no listing, and this is what the harness's ``cache-keys`` reports)."""
    cache = pop.caches.default
    cache._live_count()  # evicts what has expired, as a lookup would
    return [
        {
            "key": key,
            "status": entry.status,
            "ttl": entry.expires_at - now,
            "age": entry.age(now),
            "tags": sorted(entry.tags),
        }
        for key, entry in sorted(cache._entries.items())
    ]


# --- the harness leg ----------------------------------------------------------------------------


def run_on_harness(case: Case, origin: ScriptedOrigin, harness: Harness) -> list[Record]:
    harness.call("reset", clock=START, reimport=True)
    origin.script(case.origin, START)
    metadata = WORKERS[case.worker][1]
    version = metadata["id"] if metadata is not None else "<no version>"
    now = START
    transcript = []
    for step in case.steps:
        record: Record = {"step": step.label()}
        if isinstance(step, Fetch):
            record["response"] = _harness_fetch(harness, step)
        elif isinstance(step, Advance):
            now = harness.call("advance", seconds=step.seconds)["now"]
            origin.now = now
        elif isinstance(step, PurgeTags):
            record["purged"] = harness.call("purge", tags=list(step.tags))["purged"]
        elif isinstance(step, Scheduled):
            answer = harness.call("scheduled", cron=step.cron)
            record["scheduled"] = (
                _exception_type(answer["exception"]) if "exception" in answer else "ok"
            )
        elif isinstance(step, Queue):
            answer = harness.call("queue", queue=step.queue, messages=list(step.bodies))
            record["queue"] = (
                _exception_type(answer["exception"]) if "exception" in answer else "ok"
            )
        elif isinstance(step, KVPut):
            harness.call("kv-put", binding=step.binding, key=step.key, value=step.value)
        errors = harness.call("drain")["errors"]  # the step's waitUntil work, as above
        record["origin"] = _origin_records(origin.take())
        record["cache"] = harness.call("cache-keys")["entries"]
        record["background_errors"] = errors
        transcript.append(normalise(record, version))
    return transcript


def _harness_fetch(harness: Harness, step: Fetch) -> Record:
    answer = harness.call(
        "fetch",
        method=step.method,
        url=step.url,
        headers=[list(pair) for pair in step.all_headers()],
        body=step.body,
        cf=dict(step.cf) if step.cf is not None else None,
    )
    if "exception" in answer:
        return {"status": 500, "exception": _exception_type(answer["exception"])}
    return {
        "status": answer["status"],
        "headers": _pairs(answer["headers"]),
        "body": answer["body"],
    }


# --- the suite ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def origin() -> Iterator[ScriptedOrigin]:
    server = ScriptedOrigin().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def harnesses(origin: ScriptedOrigin) -> Iterator[dict[str, Harness]]:
    """One harness per worker, loaded side by side, for the whole session."""
    running = {
        name: Harness(wrangler, origin=origin.url, version=version, clock=START)
        for name, (wrangler, version) in WORKERS.items()
    }
    try:
        for harness in running.values():
            harness.spawn()
        for harness in running.values():
            harness.wait_ready()
    except HarnessUnavailable as exc:
        for harness in running.values():
            harness.close()
        pytest.fail(f"Pyodide harness unavailable: {exc}", pytrace=False)
    yield running
    for harness in running.values():
        harness.close()


def check_expectations(case: Case, transcript: list[Record]) -> None:
    """The case still shows what it says, on the real SDK's transcript (the reference)."""
    for step, record in zip(case.steps, transcript, strict=True):
        expect: Expect | None = getattr(step, "expect", None)
        if expect is None:
            continue
        where = f"{case.name}: {record['step']}"
        response = record.get("response", {})
        if expect.status is not None:
            assert response.get("status") == expect.status, where
        if expect.body is not None:
            assert response.get("body") == expect.body, where
        fields = dict(response.get("headers", []))
        members = {part.strip() for part in fields.get("cache-status", "").split(";")}
        assert expect.cache_status <= members, f"{where}: Cache-Status {fields.get('cache-status')}"
        assert not expect.absent_headers & fields.keys(), where
        for name, value in expect.headers.items():
            assert fields.get(name) == value, f"{where}: {name}"
        for name, wanted in expect.header_members.items():
            parts = {part.strip() for part in fields.get(name, "").split(";")}
            assert wanted <= parts, f"{where}: {name} {fields.get(name)}"
        if expect.origin_requests is not None:
            assert len(record["origin"]) == expect.origin_requests, where
        for request in record["origin"]:
            sent = dict(request["headers"])
            for name, value in expect.origin_headers.items():
                assert sent.get(name.lower()) == value, f"{where}: the origin's {name}"
        if expect.key_contains is not None:
            key = _debug_key(members)
            assert key is not None, f"{where}: no key in Cache-Status (send Popcache-Debug: 1)"
            assert expect.key_contains in key, f"{where}: key {key!r}"
        for pointer, wanted in expect.json_at.items():
            found = _json_at(response.get("body", ""), pointer, where)
            if isinstance(wanted, frozenset):
                parts = {part.strip() for part in str(found).split(";")}
                assert wanted <= parts, f"{where}: {pointer} is {found!r}"
            else:
                assert found == wanted, f"{where}: {pointer} is {found!r}"


def _json_at(body: str, pointer: str, where: str) -> Any:
    """The value at a JSON Pointer (RFC 6901) in a JSON ``body``."""
    value: Any = json.loads(body)
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        elif isinstance(value, dict) and token in value:
            value = value[token]
        else:
            raise AssertionError(f"{where}: nothing at {pointer} in {body[:200]!r}")
    return value


def _debug_key(members: set[str]) -> str | None:
    """The ``key`` parameter of a ``Cache-Status`` (present with ``Popcache-Debug: 1``)."""
    for member in members:
        name, _, value = member.partition("=")
        if name == "key":
            return value.strip('"')
    return None


def differences(left: Any, right: Any, where: str = "") -> list[str]:
    """Where two normalised records differ, one line each (header lists compared as sets)."""
    if isinstance(left, dict) and isinstance(right, dict):
        lines = []
        for key in sorted(left.keys() | right.keys()):
            lines += differences(left.get(key), right.get(key), f"{where}.{key}")
        return lines
    if isinstance(left, list) and isinstance(right, list) and left != right:
        if all(isinstance(item, list) and len(item) == 2 for item in left + right):
            only_left = [item for item in left if item not in right]
            only_right = [item for item in right if item not in left]
            return [f"{where}: harness only {only_left}, emulator only {only_right}"]
        if len(left) == len(right):
            lines = []
            for index, (a, b) in enumerate(zip(left, right, strict=True)):
                lines += differences(a, b, f"{where}[{index}]")
            return lines
    if left != right:
        return [f"{where}: harness {left!r}, emulator {right!r}"]
    return []


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
async def test_emulator_and_real_sdk_agree(
    case: Case, origin: ScriptedOrigin, harnesses: dict[str, Harness]
) -> None:
    on_pyodide = run_on_harness(case, origin, harnesses[case.worker])
    check_expectations(case, on_pyodide)
    on_emulator = await run_on_emulator(case, origin)
    report = [
        f"step {index + 1} ({expected['step']}):\n    " + "\n    ".join(found)
        for index, (expected, actual) in enumerate(zip(on_emulator, on_pyodide, strict=True))
        if (found := differences(actual, expected))
    ]
    if report:
        pytest.fail(f"{case.name}: the real SDK and the emulator differ\n  " + "\n  ".join(report))


def test_the_harness_runs_the_real_sdk(harnesses: dict[str, Harness]) -> None:
    """The harness loaded the pinned SDK in Pyodide, with the worker's compatibility flags."""
    harness = harnesses["edge"]
    assert harness.ready["pyodide"].startswith("314.")
    assert harness.ready["python"].startswith("3.14")
    assert "python_no_global_handlers" in harness.ready["flags"]
    version = sdk_pin().partition("==")[2]
    assert list(SDK_DIR.glob(f"workers_runtime_sdk-{version}.dist-info"))
