"""GET /cdn-cgi/popcache/internals: the sizes of what could grow (docs/emulator.md), the
emulator's own and each PoP's, with what a worker's optional hook reports."""

import aiohttp
import pytest
from pointworker import refusal_of_post, running

from emulator.internals import process_memory, worker_tables

INTERNALS = "/cdn-cgi/popcache/internals"

HOOKED = """
from workers import Response, WorkerEntrypoint

seen = {}


def __popcache_internals__():
    return {"seen": {"size": len(seen), "limit": 100}}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        seen[request.url] = True
        return Response("ok")
"""


async def internals(url: str, pop: str = "SFO") -> dict:
    async with (
        aiohttp.ClientSession(url) as session,
        session.get(INTERNALS, headers={"X-Popcache-Pop": pop}) as reply,
    ):
        assert (reply.status, reply.content_type) == (200, "application/json")
        assert reply.headers["Cache-Control"] == "no-store"
        return await reply.json()


def sizes(tables: dict) -> dict:
    return {name: table["size"] for name, table in tables.items()}


async def test_the_emulator_tables_come_with_their_caps(tmp_path):
    async with running(tmp_path) as emulator:
        async with aiohttp.ClientSession(emulator.url) as session:
            for n in range(3):
                await (await session.get(f"/p{n}", headers={"X-Popcache-Pop": "LHR"})).read()
        found = await internals(emulator.url)
    own = found["emulator"]
    assert own["datapoints"] == {"size": 3, "limit": 100_000}
    assert own["purge_log"] == {"size": 0, "limit": 1000}
    assert own["cf_places"]["limit"] == 4096
    assert own["request_counter_labels"]["limit"] == 80
    assert own["queue.jobs"] == {"size": 0, "limit": None}
    assert set(found["pops"]) == {"SFO", "ORD", "LHR"}
    assert found["pops"]["LHR"]["wait_until"] == {"size": 0, "limit": None}
    assert found["pops"]["LHR"]["cache_entries"]["size"] == 0


async def test_the_caps_given_to_the_emulator_bound_its_caches_and_points(tmp_path):
    async with running(tmp_path, max_cache_entries=7, max_data_points=5) as emulator:
        async with aiohttp.ClientSession(emulator.url) as session:
            for n in range(8):
                await (await session.get(f"/p{n}")).read()
        found = await internals(emulator.url)
    assert found["emulator"]["datapoints"] == {"size": 5, "limit": 5}
    assert found["emulator"]["upper_tier_urls"]["limit"] == 7
    assert found["pops"]["SFO"]["cache_entries"]["limit"] == 7


async def test_a_worker_without_the_hook_reports_nothing_of_its_own(tmp_path):
    async with running(tmp_path) as emulator:
        found = await internals(emulator.url)
    assert found["pops"]["SFO"]["worker"] is None


async def test_the_process_memory_is_in_bytes_where_proc_says_it_with_pythons_blocks(tmp_path):
    async with running(tmp_path) as emulator:
        memory = (await internals(emulator.url))["process"]
    assert set(memory) == {"rss_bytes", "rss_peak_bytes", "python_blocks"}
    assert all(
        memory[name] is None or memory[name] > 2**20 for name in ("rss_bytes", "rss_peak_bytes")
    )
    assert memory["python_blocks"] > 10_000


async def test_a_worker_hook_reports_its_own_tables_per_pop(tmp_path):
    async with running(tmp_path) as emulator:
        (tmp_path / "worker.py").write_text(HOOKED)
        emulator.reload(emulator.config)
        async with aiohttp.ClientSession(emulator.url) as session:
            for n in range(2):
                await (await session.get(f"/x{n}", headers={"X-Popcache-Pop": "ORD"})).read()
        found = await internals(emulator.url)
    assert found["pops"]["ORD"]["worker"] == {"seen": {"size": 2, "limit": 100}}
    assert found["pops"]["SFO"]["worker"] == {"seen": {"size": 0, "limit": 100}}


async def test_a_hook_that_raises_is_named_and_the_rest_still_shown(tmp_path):
    async with running(tmp_path) as emulator:
        (tmp_path / "worker.py").write_text(HOOKED.replace("return {", "return 1 / 0 or {"))
        emulator.reload(emulator.config)
        pop = (await internals(emulator.url))["pops"]["SFO"]
    assert pop["worker"] is None
    assert pop["worker_error"] == "ZeroDivisionError: division by zero"
    assert pop["wait_until"]["size"] == 0


async def test_internals_take_only_get(tmp_path):
    refused = await refusal_of_post(tmp_path, INTERNALS)
    assert refused == (405, "application/problem+json", "GET", "method")


@pytest.mark.parametrize(
    "reported",
    [[1, 2], {"a": 3}, {"a": {"size": -1, "limit": None}}, {"a": {"size": 1}}, {1: {}}],
)
def test_a_hook_answering_amiss_is_refused_with_the_shape_it_must_have(reported):
    with pytest.raises(ValueError, match="__popcache_internals__"):
        worker_tables(reported)


def test_memory_reads_vmrss_and_vmhwm_in_kilobytes(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
    memory = process_memory(status)
    assert (memory["rss_bytes"], memory["rss_peak_bytes"]) == (1024 * 1024, 2048 * 1024)


def test_memory_is_unknown_without_proc(tmp_path):
    memory = process_memory(tmp_path / "absent")
    assert (memory["rss_bytes"], memory["rss_peak_bytes"]) == (None, None)


def test_the_blocks_python_holds_grow_with_what_is_kept():
    before = process_memory()["python_blocks"]
    kept = [object() for _ in range(10_000)]
    assert process_memory()["python_blocks"] - before >= len(kept)
