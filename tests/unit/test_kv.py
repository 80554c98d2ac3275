"""The KV binding, as a Python Worker sees ``env.MY_KV`` (emulator/runtime/kv.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.clock import FakeClock
from emulator.runtime.http import JsResponse, ReadableStream
from emulator.runtime.jsproxy import JsDict
from emulator.runtime.kv import KVError, KVLimits, KVNamespace, KVStore

PUT_TYPE_ERROR = (
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
)
MIB = 1024 * 1024


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> Iterator[KVStore]:
    store = KVStore(None)
    yield store
    store.close()


@pytest.fixture
def kv(store: KVStore, clock: FakeClock) -> KVNamespace:
    return KVNamespace(store, "ns", clock)


async def names(kv: KVNamespace, **options: Any) -> list[str]:
    return [key.name for key in (await kv.list(**options))["keys"]]


# get / put


async def test_get_returns_none_for_a_missing_key(kv: KVNamespace) -> None:
    assert await kv.get("missing") is None


async def test_put_then_get_returns_the_text(kv: KVNamespace) -> None:
    assert await kv.put("k", "hello") is None  # type: ignore[func-returns-value]
    assert await kv.get("k") == "hello"


async def test_get_takes_the_type_positionally(kv: KVNamespace) -> None:
    await kv.put("k", '{"a": [1, 2]}')
    assert await kv.get("k", "json") == {"a": [1, 2]}


async def test_get_takes_the_type_as_a_keyword(kv: KVNamespace) -> None:
    await kv.put("k", '{"a": 1}')
    assert await kv.get("k", type="json") == {"a": 1}


async def test_get_takes_an_options_dict_with_cache_ttl(kv: KVNamespace) -> None:
    await kv.put("k", '{"a": 1}')
    assert await kv.get("k", {"type": "json", "cacheTtl": 60}) == {"a": 1}


async def test_get_json_gives_objects_with_attribute_access(kv: KVNamespace) -> None:
    await kv.put("k", '{"user": {"name": "ada"}}')
    value = await kv.get("k", "json")
    assert isinstance(value, JsDict)
    assert value.user.name == "ada"


async def test_get_array_buffer_returns_the_stored_bytes(kv: KVNamespace) -> None:
    await kv.put("k", b"\x00\xff")
    assert await kv.get("k", "arrayBuffer") == b"\x00\xff"


async def test_get_stream_returns_a_readable_stream_of_the_value(kv: KVNamespace) -> None:
    await kv.put("k", "streamed")
    stream = await kv.get("k", "stream")
    assert isinstance(stream, ReadableStream)
    assert await JsResponse(stream).text() == "streamed"


async def test_text_is_stored_as_utf8(kv: KVNamespace) -> None:
    await kv.put("k", "héllo")
    assert await kv.get("k", "arrayBuffer") == "héllo".encode()


@pytest.mark.parametrize("value", [bytearray(b"abc"), memoryview(b"abc")])
async def test_put_accepts_bytes_like_values(kv: KVNamespace, value: object) -> None:
    await kv.put("k", value)  # type: ignore[arg-type]
    assert await kv.get("k", "arrayBuffer") == b"abc"


async def test_put_accepts_a_readable_stream(kv: KVNamespace) -> None:
    await kv.put("k", ReadableStream(b"from a stream"))
    assert await kv.get("k") == "from a stream"


@pytest.mark.parametrize("value", [42, None, {"a": 1}, ["a"], 1.5])
async def test_put_rejects_other_values_with_the_runtime_message(
    kv: KVNamespace, value: object
) -> None:
    with pytest.raises(TypeError) as raised:
        await kv.put("k", value)  # type: ignore[arg-type]
    assert str(raised.value) == PUT_TYPE_ERROR


async def test_put_overwrites_the_value_and_its_metadata(kv: KVNamespace) -> None:
    await kv.put("k", "old", metadata={"v": 1})
    await kv.put("k", "new")
    assert await kv.getWithMetadata("k") == {"value": "new", "metadata": None, "cacheStatus": None}


async def test_get_rejects_an_unknown_type(kv: KVNamespace) -> None:
    with pytest.raises(TypeError, match=r'^Unknown response type\. Possible types are "text"'):
        await kv.get("k", "blob")


async def test_get_rejects_cache_ttl_under_thirty_seconds(kv: KVNamespace) -> None:
    message = "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30."
    with pytest.raises(KVError) as raised:
        await kv.get("k", cacheTtl=29)
    assert str(raised.value) == message


async def test_get_json_of_a_non_json_value_raises_a_decode_error(kv: KVNamespace) -> None:
    await kv.put("k", "not json")
    with pytest.raises(json.JSONDecodeError):
        await kv.get("k", "json")


# keys


async def test_an_empty_key_is_a_type_error(kv: KVNamespace) -> None:
    with pytest.raises(TypeError, match=r"^Key name cannot be empty\.$"):
        await kv.put("", "v")


@pytest.mark.parametrize("key", [".", ".."])
async def test_dot_keys_are_type_errors(kv: KVNamespace, key: str) -> None:
    with pytest.raises(TypeError) as raised:
        await kv.get(key)
    assert str(raised.value) == f'"{key}" is not allowed as a key name.'


async def test_a_key_over_512_utf8_bytes_fails_with_414(kv: KVNamespace) -> None:
    message = "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    with pytest.raises(KVError) as raised:
        await kv.get("é" * 256 + "x")
    assert str(raised.value) == message
    assert raised.value.status == 414


async def test_a_long_key_error_names_the_put_operation(kv: KVNamespace) -> None:
    with pytest.raises(KVError, match=r"^KV PUT failed: 414 UTF-8 encoded length of 600 "):
        await kv.put("k" * 600, "v")


async def test_a_key_of_exactly_512_utf8_bytes_is_accepted(kv: KVNamespace) -> None:
    await kv.put("é" * 256, "v")
    assert await kv.get("é" * 256) == "v"


async def test_a_non_string_key_is_a_type_error(kv: KVNamespace) -> None:
    with pytest.raises(TypeError, match="must be a string"):
        await kv.put(7, "v")  # type: ignore[arg-type]


async def test_lone_surrogates_in_keys_become_replacement_characters(kv: KVNamespace) -> None:
    await kv.put("a\ud800", "v")
    assert await names(kv) == ["a\ufffd"]


# put options


async def test_put_rejects_ttl_under_sixty_seconds(kv: KVNamespace) -> None:
    message = "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60."
    with pytest.raises(KVError) as raised:
        await kv.put("k", "v", expirationTtl=59)
    assert str(raised.value) == message


async def test_put_rejects_a_ttl_that_is_not_positive(kv: KVNamespace) -> None:
    message = (
        "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."
    )
    with pytest.raises(KVError) as raised:
        await kv.put("k", "v", expirationTtl=0)
    assert str(raised.value) == message


async def test_put_rejects_expiration_under_sixty_seconds_ahead(
    kv: KVNamespace, clock: FakeClock
) -> None:
    at = int(clock.now()) + 59
    message = (
        f"KV PUT failed: 400 Invalid expiration of {at}. "
        "Expiration times must be at least 60 seconds in the future."
    )
    with pytest.raises(KVError) as raised:
        await kv.put("k", "v", expiration=at)
    assert str(raised.value) == message


async def test_put_rejects_expiration_in_the_past(kv: KVNamespace, clock: FakeClock) -> None:
    at = int(clock.now())
    message = (
        f"KV PUT failed: 400 Invalid expiration of {at}. Please specify integer greater than "
        "the current number of seconds since the UNIX epoch."
    )
    with pytest.raises(KVError) as raised:
        await kv.put("k", "v", expiration=at)
    assert str(raised.value) == message


async def test_put_takes_options_as_a_dict(kv: KVNamespace, clock: FakeClock) -> None:
    await kv.put("k", "v", {"expirationTtl": 60, "metadata": {"m": 1}})
    listed = (await kv.list())["keys"][0]
    assert listed == {"name": "k", "expiration": int(clock.now()) + 60, "metadata": {"m": 1}}


async def test_expiration_ttl_wins_over_expiration(kv: KVNamespace, clock: FakeClock) -> None:
    await kv.put("k", "v", expirationTtl=60, expiration=int(clock.now()) + 3600)
    assert (await kv.list())["keys"][0].expiration == int(clock.now()) + 60


async def test_put_rejects_metadata_over_1024_bytes(kv: KVNamespace) -> None:
    message = "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."
    with pytest.raises(KVError) as raised:
        await kv.put("k", "v", metadata="x" * 1023)  # 1023 + two quotes
    assert str(raised.value) == message


async def test_metadata_of_exactly_1024_serialized_bytes_is_accepted(kv: KVNamespace) -> None:
    await kv.put("k", "v", metadata={"a": "é" * 507})  # {"a":""} is 8 bytes, é is 2
    assert (await kv.getWithMetadata("k")).metadata == {"a": "é" * 507}


async def test_put_rejects_metadata_that_is_not_json(kv: KVNamespace) -> None:
    with pytest.raises(TypeError):
        await kv.put("k", "v", metadata={"when": object()})


async def test_put_rejects_values_over_25_mib(kv: KVNamespace) -> None:
    message = f"KV PUT failed: 413 Value length of {25 * MIB + 1} exceeds limit of {25 * MIB}."
    with pytest.raises(KVError) as raised:
        await kv.put("k", b"x" * (25 * MIB + 1))
    assert str(raised.value) == message


async def test_a_rejected_put_leaves_the_old_value(kv: KVNamespace) -> None:
    await kv.put("k", "old")
    with pytest.raises(KVError):
        await kv.put("k", "new", expirationTtl=1)
    assert await kv.get("k") == "old"


# expiration


async def test_a_key_expires_after_its_ttl(kv: KVNamespace, clock: FakeClock) -> None:
    await kv.put("k", "v", expirationTtl=60)
    clock.advance(59)
    assert await kv.get("k") == "v"
    clock.advance(1)
    assert await kv.get("k") is None


async def test_a_key_expires_at_its_absolute_expiration(kv: KVNamespace, clock: FakeClock) -> None:
    at = int(clock.now()) + 120
    await kv.put("k", "v", expiration=at)
    clock.set(at - 1)
    assert await kv.get("k") == "v"
    clock.set(at)
    assert await kv.get("k") is None


async def test_expired_keys_are_not_listed(kv: KVNamespace, clock: FakeClock) -> None:
    await kv.put("short", "v", expirationTtl=60)
    await kv.put("long", "v", expirationTtl=120)
    clock.advance(60)
    assert await names(kv) == ["long"]


async def test_reading_an_expired_key_purges_it(
    kv: KVNamespace, store: KVStore, clock: FakeClock
) -> None:
    await kv.put("k", "v", expirationTtl=60)
    clock.advance(60)
    await kv.get("k")
    assert store.read("ns", b"k", now=0) is None


# getWithMetadata


async def test_get_with_metadata_returns_value_metadata_and_cache_status(kv: KVNamespace) -> None:
    await kv.put("k", "v", metadata={"tag": "a"})
    result = await kv.getWithMetadata("k")
    assert isinstance(result, JsDict)
    assert (result.value, result.metadata.tag, result.cacheStatus) == ("v", "a", None)


async def test_get_with_metadata_of_a_missing_key_is_all_none(kv: KVNamespace) -> None:
    assert await kv.getWithMetadata("k") == {"value": None, "metadata": None, "cacheStatus": None}


async def test_get_with_metadata_honours_the_type(kv: KVNamespace) -> None:
    await kv.put("k", "[1]", metadata=2)
    assert await kv.getWithMetadata("k", type="json") == {
        "value": [1],
        "metadata": 2,
        "cacheStatus": None,
    }


# bulk get


async def test_bulk_get_returns_a_dict_with_none_for_missing_keys(kv: KVNamespace) -> None:
    await kv.put("a", "1")
    assert await kv.get(["a", "b"]) == {"a": "1", "b": None}


async def test_bulk_get_parses_json(kv: KVNamespace) -> None:
    await kv.put("a", '{"n": 1}')
    assert (await kv.get(["a"], "json"))["a"].n == 1


async def test_bulk_get_rejects_more_than_100_keys(kv: KVNamespace) -> None:
    with pytest.raises(KVError) as raised:
        await kv.get([f"k{i}" for i in range(101)])
    assert str(raised.value) == "KV GET_BULK failed: 400 You can request a maximum of 100 keys"


async def test_bulk_get_accepts_100_keys(kv: KVNamespace) -> None:
    assert len(await kv.get([f"k{i}" for i in range(100)])) == 100


async def test_bulk_get_rejects_an_empty_list(kv: KVNamespace) -> None:
    with pytest.raises(KVError) as raised:
        await kv.get([])
    assert str(raised.value) == "KV GET_BULK failed: 400 You must request a minimum of 1 key"


async def test_bulk_get_rejects_types_other_than_text_and_json(kv: KVNamespace) -> None:
    message = 'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"'
    with pytest.raises(KVError) as raised:
        await kv.get(["a"], "arrayBuffer")
    assert str(raised.value) == message


async def test_bulk_get_reports_values_that_are_not_json(kv: KVNamespace) -> None:
    await kv.put("a", "plain")
    message = (
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value"
    )
    with pytest.raises(KVError) as raised:
        await kv.get(["a"], "json")
    assert str(raised.value) == message


async def test_bulk_get_validates_keys_as_the_service_does(kv: KVNamespace) -> None:
    with pytest.raises(KVError) as raised:
        await kv.get(["a", ""])
    assert str(raised.value) == "KV GET_BULK failed: 400 Key names must not be empty"


async def test_bulk_get_rejects_values_over_the_total_size_limit(
    store: KVStore, clock: FakeClock
) -> None:
    kv = KVNamespace(store, "ns", clock, limits=KVLimits(max_bulk_size=MIB))
    await kv.put("a", b"x" * (MIB // 2))
    await kv.put("b", b"x" * (MIB // 2 + 1))
    with pytest.raises(KVError) as raised:
        await kv.get(["a", "b"])
    assert (
        str(raised.value)
        == "KV GET_BULK failed: 413 Total size of request exceeds the limit of 1MB"
    )


async def test_bulk_get_with_metadata_gives_value_and_metadata_per_key(kv: KVNamespace) -> None:
    await kv.put("a", "1", metadata={"m": True})
    result = await kv.getWithMetadata(["a", "b"])
    assert result == {"a": {"value": "1", "metadata": {"m": True}}, "b": None}
    assert result["a"].metadata.m is True


# list


async def test_list_returns_keys_in_utf8_byte_order(kv: KVNamespace) -> None:
    for key in ["😀", "\uffff", "b", "a"]:  # UTF-16 order would put 😀 before \uffff
        await kv.put(key, "v")
    assert await names(kv) == ["a", "b", "\uffff", "😀"]


async def test_list_filters_by_prefix(kv: KVNamespace) -> None:
    for key in ["user:1", "user:2", "users", "post:1"]:
        await kv.put(key, "v")
    assert await names(kv, prefix="user:") == ["user:1", "user:2"]


async def test_list_takes_options_as_a_dict(kv: KVNamespace) -> None:
    for key in ["a1", "a2", "b1"]:
        await kv.put(key, "v")
    assert [key.name for key in (await kv.list({"prefix": "a", "limit": 1}))["keys"]] == ["a1"]


async def test_list_shows_expiration_and_metadata_only_when_set(
    kv: KVNamespace, clock: FakeClock
) -> None:
    await kv.put("plain", "v")
    await kv.put("rich", "v", expirationTtl=60, metadata={"m": 1})
    keys = (await kv.list())["keys"]
    assert keys == [
        {"name": "plain"},
        {"name": "rich", "expiration": int(clock.now()) + 60, "metadata": {"m": 1}},
    ]


async def test_a_complete_list_has_no_cursor(kv: KVNamespace) -> None:
    await kv.put("a", "v")
    assert await kv.list() == {"keys": [{"name": "a"}], "list_complete": True, "cacheStatus": None}


async def test_list_pages_with_a_cursor(kv: KVNamespace) -> None:
    for key in "abcde":
        await kv.put(key, "v")
    first = await kv.list(limit=2)
    second = await kv.list(limit=2, cursor=first.cursor)
    third = await kv.list(limit=2, cursor=second.cursor)
    pages = [[key.name for key in page["keys"]] for page in (first, second, third)]
    assert pages == [["a", "b"], ["c", "d"], ["e"]]
    assert (first.list_complete, second.list_complete, third.list_complete) == (False, False, True)


async def test_a_page_ending_exactly_at_the_last_key_is_complete(kv: KVNamespace) -> None:
    for key in "ab":
        await kv.put(key, "v")
    assert (await kv.list(limit=2)).list_complete is True


async def test_a_cursor_survives_deleting_the_last_listed_key(kv: KVNamespace) -> None:
    for key in "abc":
        await kv.put(key, "v")
    first = await kv.list(limit=2)
    await kv.delete("b")
    assert await names(kv, cursor=first.cursor) == ["c"]


async def test_list_rejects_a_limit_over_1000(kv: KVNamespace) -> None:
    message = (
        "KV GET failed: 400 Invalid key_count_limit of 1001. "
        "Please specify an integer less than 1000."
    )
    with pytest.raises(KVError) as raised:
        await kv.list(limit=1001)
    assert str(raised.value) == message


async def test_list_treats_a_limit_below_one_as_unset(store: KVStore, clock: FakeClock) -> None:
    kv = KVNamespace(store, "ns", clock, limits=KVLimits(max_list_keys=2))
    for key in "abc":
        await kv.put(key, "v")
    assert await names(kv, limit=0) == ["a", "b"]


async def test_list_rejects_a_prefix_over_512_bytes(kv: KVNamespace) -> None:
    with pytest.raises(KVError, match=r"^KV GET failed: 414 UTF-8 encoded length of 513 "):
        await kv.list(prefix="p" * 513)


async def test_list_rejects_a_cursor_it_did_not_issue(kv: KVNamespace) -> None:
    with pytest.raises(KVError, match=r"^KV GET failed: 400 Invalid cursor"):
        await kv.list(cursor="a")


# delete, namespaces, persistence


async def test_delete_removes_the_key(kv: KVNamespace) -> None:
    await kv.put("k", "v")
    assert await kv.delete("k") is None  # type: ignore[func-returns-value]
    assert await kv.get("k") is None


async def test_deleting_a_missing_key_succeeds(kv: KVNamespace) -> None:
    await kv.delete("never-there")
    assert await names(kv) == []


async def test_delete_validates_the_key(kv: KVNamespace) -> None:
    with pytest.raises(KVError, match=r"^KV DELETE failed: 414 "):
        await kv.delete("k" * 513)


async def test_namespaces_in_one_store_do_not_share_keys(store: KVStore, clock: FakeClock) -> None:
    one, two = KVNamespace(store, "one", clock), KVNamespace(store, "two", clock)
    await one.put("k", "v")
    assert (await two.get("k"), await names(two)) == (None, [])


async def test_data_survives_reopening_the_store(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "nested" / "kv.sqlite3"
    store = KVStore(path)
    await KVNamespace(store, "ns", clock).put("k", "v", metadata={"m": 1}, expirationTtl=60)
    store.close()
    reopened = KVStore(path)
    try:
        result = await KVNamespace(reopened, "ns", clock).getWithMetadata("k")
        assert (result.value, result.metadata) == ("v", {"m": 1})
    finally:
        reopened.close()


# properties

keys = st.text(min_size=1).filter(lambda k: len(k.encode()) <= 512 and k not in (".", ".."))


@settings(max_examples=50, deadline=None)
@given(key=keys, value=st.text() | st.binary())
async def test_any_valid_key_and_value_roundtrip(key: str, value: str | bytes) -> None:
    store = KVStore(None)
    kv = KVNamespace(store, "ns", FakeClock())
    await kv.put(key, value)
    expected = value.encode() if isinstance(value, str) else value
    assert await kv.get(key, "arrayBuffer") == expected
    store.close()


@settings(max_examples=50, deadline=None)
@given(key_set=st.sets(keys, max_size=12), limit=st.integers(1, 5))
async def test_paging_lists_every_key_once_in_byte_order(key_set: set[str], limit: int) -> None:
    store = KVStore(None)
    kv = KVNamespace(store, "ns", FakeClock())
    for key in key_set:
        await kv.put(key, "v")
    seen: list[str] = []
    cursor = None
    while True:
        page = await kv.list(limit=limit, cursor=cursor)
        seen += [key.name for key in page["keys"]]
        if page.list_complete:
            break
        cursor = page.cursor
    assert seen == sorted(key_set, key=lambda k: k.encode())
    store.close()
