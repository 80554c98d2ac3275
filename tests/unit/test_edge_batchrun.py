"""Running a checked batch: item order kept, dependencies first, failed dependencies 424,
independent items concurrently up to the cap, identical reads sent once.

``send`` is a fake here; tests/unit/test_edge_batch.py runs the same through the proxy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from batchformat import BatchItem
from batchrun import run_items
from messages import EdgeResponse, Fields

PATIENCE = 5.0  # seconds before a test that would hang fails instead


def item(item_id: str, *depends_on: str, method: str = "GET", url: str = "") -> BatchItem:
    return BatchItem(item_id, method, url or f"/api/{item_id}", (), None, depends_on)


class Sender:
    """A fake ``send``: records what was sent and when, answers 200 unless told otherwise."""

    def __init__(
        self,
        statuses: dict[str, int] | None = None,
        before: Callable[[BatchItem], Awaitable[None]] | None = None,
        cache_status: str | None = "popcache; fwd=uri-miss",
    ) -> None:
        self.statuses = statuses or {}
        self.before = before
        self.cache_status = cache_status
        self.log: list[str] = []
        self.sent: list[str] = []

    async def __call__(self, batch_item: BatchItem) -> EdgeResponse:
        self.sent.append(batch_item.id)
        self.log.append(f"start {batch_item.id}")
        if self.before is not None:
            await self.before(batch_item)
        self.log.append(f"end {batch_item.id}")
        fields = Fields([("x-item", batch_item.id)])
        if self.cache_status is not None:
            fields.add("cache-status", self.cache_status)
        return EdgeResponse(self.statuses.get(batch_item.id, 200), fields, batch_item.id.encode())


async def run(items: list[BatchItem], send: Sender, concurrency: int = 20) -> list[EdgeResponse]:
    return await asyncio.wait_for(run_items(items, send, concurrency), PATIENCE)


async def yield_a_few(_: BatchItem) -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_results_are_in_item_order_though_the_first_item_finishes_last():
    last_sent = asyncio.Event()

    async def first_waits_for_the_last(batch_item: BatchItem) -> None:
        if batch_item.id == "a":
            await last_sent.wait()
        elif batch_item.id == "c":
            last_sent.set()

    send = Sender(before=first_waits_for_the_last)
    responses = await run([item("a"), item("b"), item("c")], send)
    assert send.log.index("end c") < send.log.index("end a")
    assert [r.headers.get("x-item") for r in responses] == ["a", "b", "c"]


async def test_an_item_starts_only_after_its_dependency_has_finished():
    send = Sender(before=yield_a_few)
    await run([item("a"), item("b", "a")], send)
    assert send.log.index("start b") > send.log.index("end a")


async def test_an_item_with_two_dependencies_waits_for_both():
    send = Sender(before=yield_a_few)
    await run([item("a"), item("b"), item("c", "a", "b")], send)
    assert send.log.index("start c") > max(send.log.index("end a"), send.log.index("end b"))


async def test_an_item_may_depend_on_one_listed_after_it():
    send = Sender(before=yield_a_few)
    responses = await run([item("b", "a"), item("a")], send)
    assert send.log == ["start a", "end a", "start b", "end b"]
    assert [r.headers.get("x-item") for r in responses] == ["b", "a"]


async def test_a_dependent_waiting_for_its_dependency_holds_no_place_in_the_concurrency_cap():
    send = Sender(before=yield_a_few)
    responses = await run([item("b", "a"), item("a")], send, concurrency=1)
    assert [r.status for r in responses] == [200, 200]


@pytest.mark.parametrize("status", [400, 404, 429, 500, 502])
async def test_the_dependent_of_an_item_that_failed_answers_424_and_is_not_sent(status):
    send = Sender(statuses={"a": status})
    responses = await run([item("a"), item("b", "a")], send)
    assert send.sent == ["a"]
    assert responses[1].status == 424
    assert responses[1].headers.get("content-type") == "application/problem+json"
    problem = json.loads(responses[1].body)
    assert problem["field"] == "dependsOn"
    assert "'a'" in problem["detail"]
    assert str(status) in problem["detail"]


@pytest.mark.parametrize("status", [200, 204, 304])
async def test_the_dependent_of_an_item_that_did_not_fail_is_sent(status):
    send = Sender(statuses={"a": status})
    responses = await run([item("a"), item("b", "a")], send)
    assert send.sent == ["a", "b"]
    assert responses[1].status == 200


async def test_a_failed_dependency_fails_every_item_depending_on_it_transitively():
    send = Sender(statuses={"a": 404})
    responses = await run([item("a"), item("b", "a"), item("c", "b"), item("d")], send)
    assert sorted(send.sent) == ["a", "d"]
    assert [r.status for r in responses] == [404, 424, 424, 200]
    assert "'b'" in json.loads(responses[2].body)["detail"]


async def test_one_failed_dependency_of_several_is_enough_to_fail_the_dependent():
    send = Sender(statuses={"b": 500})
    responses = await run([item("a"), item("b"), item("c", "a", "b")], send)
    assert "c" not in send.sent
    assert responses[2].status == 424


async def test_independent_items_are_in_progress_at_the_same_time():
    started, everyone_started = 0, asyncio.Event()

    async def barrier(_: BatchItem) -> None:
        nonlocal started
        started += 1
        if started == 3:
            everyone_started.set()
        await everyone_started.wait()  # sent one after another, the first would wait forever

    responses = await run([item("a"), item("b"), item("c")], Sender(before=barrier))
    assert [r.status for r in responses] == [200, 200, 200]


async def test_no_more_items_are_in_progress_at_once_than_the_concurrency_allows():
    in_progress, most = 0, 0

    async def count(_: BatchItem) -> None:
        nonlocal in_progress, most
        in_progress += 1
        most = max(most, in_progress)
        await yield_a_few(_)
        in_progress -= 1

    items = [item(name) for name in "abcdef"]
    responses = await run(items, Sender(before=count), concurrency=2)
    assert most == 2
    assert len(responses) == 6


async def test_identical_get_items_are_sent_once_and_each_gets_the_response():
    send = Sender()
    responses = await run([item("a", url="/api/x"), item("b", url="/api/x")], send)
    assert send.sent == ["a"]
    assert [(r.status, r.body) for r in responses] == [(200, b"a"), (200, b"a")]


async def test_identical_head_items_are_sent_once():
    send = Sender()
    items = [item("a", method="HEAD", url="/api/x"), item("b", method="HEAD", url="/api/x")]
    await run(items, send)
    assert send.sent == ["a"]


async def test_the_copy_of_an_identical_read_says_collapsed_and_the_first_does_not():
    responses = await run([item("a", url="/api/x"), item("b", url="/api/x")], Sender())
    assert responses[0].headers.get("cache-status") == "popcache; fwd=uri-miss"
    assert responses[1].headers.get("cache-status") == "popcache; fwd=uri-miss; collapsed"


async def test_a_copy_of_a_response_already_collapsed_says_collapsed_once():
    send = Sender(cache_status="popcache; fwd=uri-miss; collapsed")
    responses = await run([item("a", url="/api/x"), item("b", url="/api/x")], send)
    assert responses[1].headers.get("cache-status") == "popcache; fwd=uri-miss; collapsed"


async def test_a_copy_of_a_response_without_cache_status_gets_none():
    send = Sender(cache_status=None)
    responses = await run([item("a", url="/api/x"), item("b", url="/api/x")], send)
    assert responses[1].headers.get("cache-status") is None
    assert responses[1].headers.get("x-item") == "a"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_identical_unsafe_items_are_each_sent(method):
    send = Sender()
    items = [item("a", method=method, url="/api/x"), item("b", method=method, url="/api/x")]
    await run(items, send)
    assert sorted(send.sent) == ["a", "b"]


async def test_reads_differing_in_header_fields_are_each_sent():
    send = Sender()
    items = [
        BatchItem("a", "GET", "/api/x", (("accept-language", "fr"),), None, ()),
        BatchItem("b", "GET", "/api/x", (("accept-language", "de"),), None, ()),
    ]
    await run(items, send)
    assert sorted(send.sent) == ["a", "b"]


async def test_reads_of_one_url_with_different_dependencies_are_each_sent():
    send = Sender()
    items = [item("p"), item("a", url="/api/x"), item("b", "p", url="/api/x")]
    await run(items, send)
    assert sorted(send.sent) == ["a", "b", "p"]


async def test_a_get_and_a_head_of_one_url_are_each_sent():
    send = Sender()
    await run([item("a", url="/api/x"), item("b", method="HEAD", url="/api/x")], send)
    assert sorted(send.sent) == ["a", "b"]
