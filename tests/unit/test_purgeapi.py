"""The purge API's body parser, its application to a PoP's caches and its log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.clock import FakeClock
from emulator.purgeapi import (
    SELECTORS,
    PurgeApi,
    PurgeApiError,
    PurgeLog,
    PurgeRecord,
    PurgeRequest,
    PurgeSettings,
    apply_purge,
    parse_purge_body,
)
from emulator.purgelimit import PURGE_PLANS
from emulator.runtime.cache import CacheStorage
from emulator.runtime.http import JsResponse

PRO = PURGE_PLANS["pro"]
URL = "https://shop.example/products/1"


def parse(document: Any, *, soft: bool = False, plan: str = "pro") -> PurgeRequest:
    return parse_purge_body(json.dumps(document).encode(), PURGE_PLANS[plan], soft=soft)


def refusal(document: Any, *, soft: bool = False, plan: str = "pro") -> PurgeApiError:
    with pytest.raises(PurgeApiError) as caught:
        parse(document, soft=soft, plan=plan)
    assert caught.value.status == 400
    return caught.value


def tagged(tags: str) -> JsResponse:
    return JsResponse("x", headers={"cache-control": "max-age=3600", "cache-tag": tags})


# --- the body -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "selector", "values"),
    [
        ({"tags": ["a", "B"]}, "tags", ("a", "B")),
        ({"hosts": ["www.example.com"]}, "hosts", ("www.example.com",)),
        ({"prefixes": ["www.example.com/foo"]}, "prefixes", ("www.example.com/foo",)),
        ({"files": [URL]}, "files", (URL,)),
        ({"purge_everything": True}, "purge_everything", ()),
    ],
)
def test_each_selector_is_read_with_its_values(
    document: dict[str, Any], selector: str, values: tuple[str, ...]
) -> None:
    assert parse(document) == PurgeRequest(selector, values)


def test_a_file_object_gives_its_url_and_its_headers_are_ignored() -> None:
    body = {"files": [{"url": URL, "headers": {"CF-IPCountry": "US", "Origin": "https://a.b"}}]}

    assert parse(body).values == (URL,)


def test_invalidate_cache_reads_the_same_body_as_a_soft_purge() -> None:
    assert parse({"tags": ["a"]}, soft=True) == PurgeRequest("tags", ("a",), soft=True)


def test_soft_true_in_a_purge_cache_body_is_an_invalidation() -> None:
    assert parse({"tags": ["a"], "soft": True}).mode == "soft"


def test_soft_false_is_a_hard_purge() -> None:
    assert parse({"tags": ["a"], "soft": False}).mode == "hard"


def test_soft_is_refused_in_an_invalidate_cache_body() -> None:
    error = refusal({"tags": ["a"], "soft": True}, soft=True)

    assert (error.code, "'soft'" in error.message) == (1016, True)


def test_soft_must_be_a_boolean() -> None:
    assert "'soft'" in refusal({"tags": ["a"], "soft": "yes"}).message


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[" * 100_000])
def test_a_body_that_is_not_json_is_refused(body: bytes) -> None:
    with pytest.raises(PurgeApiError) as caught:
        parse_purge_body(body, PRO)

    assert (caught.value.status, caught.value.code) == (400, 1011)


@pytest.mark.parametrize("document", [[], "tags", 3, None])
def test_a_body_that_is_not_an_object_is_refused(document: Any) -> None:
    assert refusal(document).code == 1011


def test_an_empty_object_names_every_selector() -> None:
    error = refusal({})

    assert error.code == 1012
    assert all(name in error.message for name in SELECTORS)


def test_two_selectors_are_refused_naming_both() -> None:
    error = refusal({"tags": ["a"], "hosts": ["b.example"]})

    assert error.code == 1092
    assert "'tags'" in error.message
    assert "'hosts'" in error.message


def test_purge_everything_with_another_selector_is_refused() -> None:
    assert refusal({"purge_everything": True, "files": [URL]}).code == 1092


@pytest.mark.parametrize("value", [False, 1, "true", None])
def test_purge_everything_must_be_true(value: Any) -> None:
    assert refusal({"purge_everything": value}).code == 1013


def test_an_unknown_member_is_refused_by_name() -> None:
    error = refusal({"tags": ["a"], "urls": ["x"]})

    assert (error.code, "'urls'" in error.message) == (1016, True)


@pytest.mark.parametrize("selector", ["files", "tags", "hosts", "prefixes"])
@pytest.mark.parametrize("value", [[], "a", {"a": 1}, None])
def test_a_selector_must_be_a_non_empty_array(selector: str, value: Any) -> None:
    error = refusal({selector: value})

    assert (error.code, repr(selector) in error.message) == (1014, True)


VALID = {"tags": "t", "hosts": "ok.example", "prefixes": "ok.example/a", "files": URL}


@pytest.mark.parametrize("selector", list(VALID))
@pytest.mark.parametrize("item", ["", "  ", 3, None, ["a"]])
def test_an_item_must_be_a_non_empty_string_and_is_named(selector: str, item: Any) -> None:
    error = refusal({selector: [VALID[selector], item]})

    assert f"{selector}[1]" in error.message


@pytest.mark.parametrize(
    ("selector", "code"), [("tags", 1101), ("hosts", 1111), ("prefixes", 1131)]
)
def test_more_than_100_items_are_refused(selector: str, code: int) -> None:
    error = refusal({selector: [f"a{index}.example" for index in range(101)]})

    assert (error.code, repr(selector) in error.message) == (code, True)


def test_100_items_are_taken() -> None:
    assert len(parse({"tags": [f"t{index}" for index in range(100)]}).values) == 100


def test_more_than_100_files_are_refused_below_enterprise() -> None:
    files = [f"{URL}?page={index}" for index in range(101)]

    assert refusal({"files": files}).code == 1094
    assert len(parse({"files": files}, plan="enterprise").values) == 101


def test_more_than_500_files_are_refused_on_enterprise() -> None:
    files = [f"{URL}?page={index}" for index in range(501)]

    assert refusal({"files": files}, plan="enterprise").code == 1094


@pytest.mark.parametrize("url", ["/products/1", "ftp://shop.example/a", "shop.example/a"])
def test_a_file_must_be_an_absolute_http_url(url: str) -> None:
    error = refusal({"files": [url]})

    assert (error.code, "files[0]" in error.message) == (1082, True)


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ({"headers": {}}, "files[0].url"),
        ({"url": URL, "headers": {"a": 1}}, "files[0].headers"),
        ({"url": URL, "headers": ["a"]}, "files[0].headers"),
        ({"url": URL, "vary": {}}, "'vary'"),
        ({"url": ""}, "files[0].url"),
    ],
)
def test_a_file_object_is_checked_member_by_member(item: dict[str, Any], where: str) -> None:
    assert where in refusal({"files": [item]}).message


def test_a_tag_longer_than_1024_characters_is_refused() -> None:
    assert refusal({"tags": ["t" * 1025]}).code == 1100


@pytest.mark.parametrize("host", ["www.example.com/foo", "https://www.example.com", "a b"])
def test_a_host_with_a_path_scheme_or_space_is_refused(host: str) -> None:
    error = refusal({"hosts": [host]})

    assert (error.code, "hosts[0]" in error.message) == (1115, True)


def test_a_host_longer_than_200_characters_is_refused() -> None:
    assert refusal({"hosts": ["a" * 201]}).code == 1114


@pytest.mark.parametrize(
    "prefix", ["https://www.example.com/foo", "www.example.com/foo?a=b", "www.example.com/f#x"]
)
def test_a_prefix_with_a_scheme_query_or_fragment_is_refused(prefix: str) -> None:
    assert "prefixes[0]" in refusal({"prefixes": [prefix]}).message


def test_a_prefix_with_more_than_31_path_separators_is_refused() -> None:
    assert "31" in refusal({"prefixes": ["a.example" + "/x" * 32]}).message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
MEMBERS = st.sampled_from([*SELECTORS, "soft", "url", "headers"])
BODY = st.dictionaries(MEMBERS, JSON | st.lists(JSON | st.text(max_size=30), max_size=5))


def outcome(body: bytes, soft: bool = False) -> tuple[int, int]:
    """The status and error code ``body`` gets: (200, 0) when it is read."""
    try:
        parse_purge_body(body, PRO, soft=soft)
    except PurgeApiError as error:
        return error.status, error.code
    return 200, 0


@given(st.one_of(JSON, BODY), st.booleans())
def test_any_json_is_read_or_refused_with_a_400(document: Any, soft: bool) -> None:
    status, code = outcome(json.dumps(document).encode(), soft)

    assert (status, code) == (200, 0) or (status == 400 and 1000 <= code < 2000)


@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_with_a_400(body: bytes) -> None:
    assert outcome(body)[0] in (200, 400)


# --- applying -------------------------------------------------------------------------------


async def test_a_hard_purge_drops_what_it_selects() -> None:
    caches = CacheStorage(FakeClock())
    await caches.default.put(URL, tagged("catalog"))

    assert apply_purge(PurgeRequest("tags", ("CATALOG",)), caches) == 1
    assert caches.entry_count() == 0


async def test_a_soft_purge_keeps_what_it_selects_as_stale() -> None:
    caches = CacheStorage(FakeClock())
    await caches.default.put(URL, tagged("catalog"))

    assert apply_purge(PurgeRequest("files", (URL,), soft=True), caches) == 1
    stale = await caches.default.match(URL)
    assert stale is not None
    assert stale.headers.get("cf-cache-status") == "STALE"


@pytest.mark.parametrize("soft", [False, True])
async def test_purge_everything_reaches_every_cache(soft: bool) -> None:
    caches = CacheStorage(FakeClock())
    await caches.default.put(URL, tagged("a"))
    await (await caches.open("pages")).put(URL, tagged("b"))

    assert apply_purge(PurgeRequest("purge_everything", (), soft=soft), caches) == 2


async def test_apply_counts_every_pop_and_logs_the_purge() -> None:
    clock = FakeClock()
    pops = {"SFO": CacheStorage(clock), "LHR": CacheStorage(clock)}
    for caches in pops.values():
        await caches.default.put(URL, tagged("catalog"))
    api = PurgeApi(PurgeSettings(), lambda: pops, clock, PurgeLog())

    record = api.apply(PurgeRequest("tags", ("catalog",)))

    assert (record.affected, dict(record.pops)) == (2, {"SFO": 1, "LHR": 1})
    assert api.purges.records() == [record]
    assert (record.time, record.zone, record.mode) == (clock.now(), "popcache-dev-zone", "hard")


def test_the_record_keeps_the_first_100_values_and_their_count() -> None:
    clock = FakeClock()
    api = PurgeApi(PurgeSettings(), lambda: {}, clock, PurgeLog())

    record = api.apply(PurgeRequest("tags", tuple(f"t{index}" for index in range(150))))

    assert (len(record.values), record.value_count) == (100, 150)


# --- the log --------------------------------------------------------------------------------


def record(affected: int = 0) -> PurgeRecord:
    return PurgeRecord(0.0, "zone", "hard", "tags", ("a",), 1, affected)


def test_the_log_lists_newest_first() -> None:
    purges = PurgeLog()
    first, second = record(1), record(2)
    purges.add(first)
    purges.add(second)

    assert purges.records() == [second, first]


def test_the_log_keeps_the_last_ones_and_counts_them_all() -> None:
    purges = PurgeLog(size=3)
    for affected in range(5):
        purges.add(record(affected))

    assert [kept.affected for kept in purges.records()] == [4, 3, 2]
    assert purges.to_json()["count"] == 5


def test_observers_hear_of_each_purge() -> None:
    purges = PurgeLog()
    heard: list[PurgeRecord] = []
    purges.on_purge.append(heard.append)
    purges.add(added := record())

    assert heard == [added]


def test_an_observer_that_raises_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    purges = PurgeLog()
    heard: list[PurgeRecord] = []

    def broken(_record: PurgeRecord) -> None:
        raise RuntimeError("metrics down")

    purges.on_purge.extend([broken, heard.append])
    purges.add(record())

    assert len(heard) == 1
    assert "purge observer failed" in caplog.text


def test_a_record_is_json() -> None:
    assert json.loads(json.dumps(record(3).to_json()))["affected"] == 3


# --- settings -------------------------------------------------------------------------------


def test_settings_default_to_the_dev_zone_token_and_pro() -> None:
    assert PurgeSettings() == PurgeSettings("popcache-dev-zone", "popcache-dev-api-token", "pro")


def test_an_unknown_plan_is_refused_naming_the_plans() -> None:
    with pytest.raises(ValueError, match="enterprise"):
        PurgeSettings(plan="platinum")
