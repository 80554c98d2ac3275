"""``POST /_edge/batch`` in-process, through the front: each item an ordinary proxy request,
refused one by one when it may not go, the batch refused whole (before any item runs) when it
is malformed. tests/e2e/test_edge_batching.py covers the same over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from edgeharness import FrontHarness, YieldingStore, json_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from messages import EdgeRequest, EdgeResponse, Fields
from routes import Routes, load_routes

RULES = """
[[rule]]
path = "/api/cart/**"
methods = ["*"]
class = "bypass"

[[rule]]
path = "/api/**"
class = "warm"
scope = "global"

[batch]
"""
JSON = "application/json"
PROBLEM = "application/problem+json"
OUTER_COOKIE = ("cookie", "session=outer")
PATIENCE = 5.0  # seconds before a batch that would hang fails its test instead
OUTER_AUTHORIZATION = ("authorization", "Bearer outer-token")


def routes(batch: str = "") -> Routes:
    return load_routes(RULES + batch)


async def storefront(request: EdgeRequest) -> EdgeResponse:
    """The origin: JSON products, an HTML page, a session that sets a cookie, orders."""
    path = request.url.split("://", 1)[1].partition("/")[2].partition("?")[0]
    shared = ("cache-control", "public, max-age=60")
    if request.method == "POST":
        document = {"received": json.loads(request.body or b"null")}
        return EdgeResponse(201, Fields([("content-type", JSON)]), json.dumps(document).encode())
    if path.startswith("api/products/"):
        body = json.dumps({"path": f"/{path}"}).encode()
        return EdgeResponse(200, Fields([("content-type", JSON), shared]), body)
    if path == "api/page":
        return EdgeResponse(200, Fields([("content-type", "text/html"), shared]), b"<p>hi</p>")
    if path == "api/not-json":
        return EdgeResponse(200, Fields([("content-type", JSON), shared]), b"{not json")
    if path == "api/empty":
        return EdgeResponse(204, Fields([shared]))
    if path == "api/session":
        fields = [("content-type", JSON), ("set-cookie", "session=new; Secure; HttpOnly")]
        return EdgeResponse(200, Fields(fields), b"{}")
    return EdgeResponse(404, Fields([("content-type", JSON)]), b"{}")


def edge(batch: str = "", answer: Any = storefront) -> FrontHarness:
    return FrontHarness(answer, routes(batch))


def get(item_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "method": "GET", "url": url, **extra}


def product(item_id: str, **extra: Any) -> dict[str, Any]:
    return get(item_id, f"/api/products/{item_id}", **extra)


async def responses(h: FrontHarness, *items: dict[str, Any], **kwargs: Any) -> list[Any]:
    """The ``responses`` of a batch that answered 200 (failing, not hanging, if it never does)."""
    reply = await asyncio.wait_for(h.batch(*items, **kwargs), PATIENCE)
    assert reply.status == 200, reply.body
    return list(json_body(reply)["responses"])


def by_id(entries: list[Any]) -> dict[str, Any]:
    return {entry["id"]: entry for entry in entries}


def paths(h: FrontHarness) -> list[str]:
    return [request.url.removeprefix("http://origin") for request in h.sent]


# The batch answer -------------------------------------------------------------------------------


async def test_a_batch_answers_200_with_one_response_per_item_in_request_order():
    last_asked, answered = asyncio.Event(), []

    async def first_answered_last(request: EdgeRequest) -> EdgeResponse:
        if request.url.endswith("/1"):
            await last_asked.wait()
        if request.url.endswith("/3"):
            last_asked.set()
        answered.append(request.url.rpartition("/")[2])
        return await storefront(request)

    h = edge(answer=first_answered_last)
    entries = await responses(h, product("1"), product("2"), product("3"))
    assert answered[-1] == "1"
    assert [entry["id"] for entry in entries] == ["1", "2", "3"]
    assert [entry["status"] for entry in entries] == [200, 200, 200]
    assert [entry["body"] for entry in entries] == [{"path": f"/api/products/{n}"} for n in "123"]
    assert all(entry["headers"]["content-type"] == JSON for entry in entries)


async def test_the_batch_response_is_json_that_no_cache_keeps():
    reply = await edge().batch(product("1"))
    assert reply.headers.get("content-type") == JSON
    assert reply.headers.get("cache-control") == "no-store"


async def test_a_json_item_body_stays_json():
    [entry] = await responses(edge(), product("1"))
    assert entry["body"] == {"path": "/api/products/1"}
    assert "encoding" not in entry


async def test_a_text_item_body_is_base64_and_says_so():
    [entry] = await responses(edge(), get("page", "/api/page"))
    assert entry["encoding"] == "base64"
    assert base64.b64decode(entry["body"]) == b"<p>hi</p>"


async def test_an_item_body_labelled_json_that_is_not_json_is_base64():
    [entry] = await responses(edge(), get("x", "/api/not-json"))
    assert entry["encoding"] == "base64"
    assert base64.b64decode(entry["body"]) == b"{not json"


async def test_an_item_without_a_body_has_no_body_member():
    [entry] = await responses(edge(), get("x", "/api/empty"))
    assert entry["status"] == 204
    assert "body" not in entry
    assert "encoding" not in entry


# Through the cache ------------------------------------------------------------------------------


async def test_each_item_carries_its_own_cache_status():
    h = edge()
    await responses(h, product("1"))
    entries = by_id(await responses(h, product("1"), product("2")))
    assert "hit" in entries["1"]["headers"]["cache-status"].split("; ")
    assert "fwd=uri-miss" in entries["2"]["headers"]["cache-status"]


async def test_a_second_identical_batch_is_all_hits_and_reaches_no_origin():
    h = edge()
    items = [product("1"), product("2"), get("page", "/api/page")]
    await responses(h, *items)
    sent = len(h.sent)
    entries = await responses(h, *items)
    assert len(h.sent) == sent == 3
    assert all(entry["headers"]["cache-status"].startswith("popcache; hit") for entry in entries)


async def test_identical_get_items_in_one_batch_make_one_origin_request():
    h = edge()
    entries = await responses(h, product("1"), get("again", "/api/products/1"))
    assert paths(h) == ["/api/products/1"]
    assert entries[0]["body"] == entries[1]["body"]
    assert "collapsed" in entries[1]["headers"]["cache-status"].split("; ")


async def test_the_same_get_in_two_concurrent_batches_makes_one_origin_request():
    release = asyncio.Event()

    class BothLookedUp(YieldingStore):
        """Lets the origin answer once both batches have missed the cache."""

        lookups = 0

        async def match(self, key: str) -> EdgeResponse | None:
            found = await super().match(key)
            self.lookups += 1
            if self.lookups == 2:
                release.set()
            return found

    async def held(request: EdgeRequest) -> EdgeResponse:
        await release.wait()
        return await storefront(request)

    h = edge(answer=held)
    h.store = BothLookedUp()
    first, second = await asyncio.gather(responses(h, product("1")), responses(h, product("1")))
    assert paths(h) == ["/api/products/1"]
    statuses = [first[0]["headers"]["cache-status"], second[0]["headers"]["cache-status"]]
    assert sum("collapsed" in status.split("; ") for status in statuses) == 1
    assert first[0]["body"] == second[0]["body"] == {"path": "/api/products/1"}


# Items refused one by one -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/products/1",  # absolute: another host
        "//evil.example/api/products/1",  # scheme-relative: another host
        "/api\\products/1",  # a backslash some servers read as '/'
        "/api/%2e%2e/admin",  # an encoded dot segment
        "/api/products/%2F..%2Fadmin",  # an encoded slash
        "/api/../admin",  # a dot segment out of the prefix
        "/_edge/batch",  # batches do not nest
        "/_edge/views/pdp",
        "/admin/users",  # outside [batch] prefixes
    ],
)
async def test_an_item_whose_url_may_not_go_answers_400_and_the_others_still_run(url):
    h = edge()
    entries = await responses(h, get("bad", url), product("1"))
    assert entries[0]["status"] == 400
    assert entries[0]["headers"]["content-type"] == PROBLEM
    assert entries[0]["body"]["field"] == "url"
    assert entries[1]["status"] == 200
    assert paths(h) == ["/api/products/1"]


async def test_the_prefixes_of_the_batch_settings_decide_which_urls_may_go():
    h = edge('prefixes = ["/api/products/"]\n')
    entries = await responses(h, get("page", "/api/page"), product("1"))
    assert [entry["status"] for entry in entries] == [400, 200]


async def test_the_dependents_of_a_refused_item_answer_424():
    h = edge()
    entries = await responses(
        h,
        get("bad", "https://evil.example/api/x"),
        product("1", dependsOn=["bad"]),
        product("2", dependsOn=["1"]),
    )
    assert [entry["status"] for entry in entries] == [400, 424, 424]
    assert entries[1]["body"]["field"] == "dependsOn"
    assert h.sent == []


async def test_a_dependent_of_an_item_the_origin_failed_answers_424():
    h = edge()
    entries = await responses(h, get("gone", "/api/nothing"), product("1", dependsOn=["gone"]))
    assert [entry["status"] for entry in entries] == [404, 424]
    assert paths(h) == ["/api/nothing"]


async def test_a_dependent_runs_once_its_dependency_succeeded():
    h = edge()
    order = {"method": "POST", "url": "/api/orders", "headers": {"content-type": JSON}}
    entries = await responses(
        h, {"id": "order", **order, "body": {}}, product("1", dependsOn=["order"])
    )
    assert [entry["status"] for entry in entries] == [201, 200]
    assert paths(h) == ["/api/orders", "/api/products/1"]


# The batch refused whole ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "PATCH", "DELETE"])
async def test_a_batch_sent_with_another_method_is_405_allowing_post(method):
    h = edge()
    body = json.dumps({"requests": [product("1")]}).encode()
    reply = await h.post_batch(body, ("content-type", JSON), method=method)
    assert reply.status == 405
    assert reply.headers.get("allow") == "POST"
    assert h.sent == []


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_a_batch_that_is_not_json_typed_is_415(content_type):
    h = edge()
    fields = [] if content_type is None else [("content-type", content_type)]
    reply = await h.post_batch(json.dumps({"requests": [product("1")]}).encode(), *fields)
    assert reply.status == 415
    assert json_body(reply)["field"] == "content-type"
    assert h.sent == []


async def test_a_json_type_with_parameters_is_a_batch():
    reply = await edge().post_batch(
        json.dumps({"requests": [product("1")]}).encode(),
        ("content-type", "application/json; charset=utf-8"),
    )
    assert reply.status == 200


ORDER = {
    "id": "order",
    "method": "POST",
    "url": "/api/orders",
    "headers": {"content-type": JSON},
    "body": {"sku": "A"},
}
MALFORMED = [
    # (body, field, item, pointer); each sends a valid POST item first where it can
    pytest.param(b"{not json", "body", None, "", id="not-json"),
    pytest.param(b'{"requests": []}', "requests", None, "/requests", id="no-requests"),
    pytest.param(
        {"requests": [ORDER], "extra": 1}, "extra", None, "/extra", id="unknown-top-member"
    ),
    pytest.param(
        {"requests": [ORDER, {**product("1"), "nope": 1}]},
        "nope",
        "1",
        "/requests/1/nope",
        id="unknown-item-member",
    ),
    pytest.param(
        {"requests": [ORDER, {**product("1"), "method": "BREW"}]},
        "method",
        "1",
        "/requests/1/method",
        id="unknown-method",
    ),
    pytest.param(
        {"requests": [ORDER, {**product("1"), "body": "x"}]},
        "body",
        "1",
        "/requests/1/body",
        id="get-with-body",
    ),
    pytest.param(
        {"requests": [ORDER, {**ORDER, "id": "ORDER"}]},
        "id",
        "ORDER",
        "/requests/1/id",
        id="duplicate-id",
    ),
    pytest.param(
        {"requests": [ORDER, product("1", dependsOn=["nobody"])]},
        "dependsOn",
        "1",
        "/requests/1/dependsOn/0",
        id="unknown-dependency",
    ),
    pytest.param(
        {"requests": [ORDER, product("1", dependsOn=["2"]), product("2", dependsOn=["1"])]},
        "dependsOn",
        "2",  # the item closing the cycle
        "/requests/2/dependsOn",
        id="cycle",
    ),
]


@pytest.mark.parametrize(("body", "field", "item", "pointer"), MALFORMED)
async def test_a_malformed_batch_is_400_naming_where_and_nothing_reaches_the_origin(
    body, field, item, pointer
):
    h = edge()
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = await h.post_batch(raw, ("content-type", JSON))
    assert reply.status == 400
    assert reply.headers.get("content-type") == PROBLEM
    problem = json_body(reply)
    assert (problem["field"], problem.get("item"), problem["pointer"]) == (field, item, pointer)
    assert h.sent == []


async def test_a_batch_over_its_item_limit_is_refused_whole():
    h = edge("max_items = 2\n")
    reply = await h.batch(product("1"), product("2"), product("3"))
    assert reply.status == 400
    assert json_body(reply)["field"] == "requests"
    assert h.sent == []


# The subrequest budget --------------------------------------------------------------------------


async def test_items_past_the_subrequest_budget_answer_429_and_never_reach_the_origin():
    h = edge("subrequests = 3\n")
    entries = await responses(h, *(product(str(n)) for n in range(5)))
    assert len(h.sent) == 3
    assert sorted(entry["status"] for entry in entries) == [200, 200, 200, 429, 429]
    refused = [entry for entry in entries if entry["status"] == 429]
    assert all(entry["body"]["field"] == "subrequests" for entry in refused)
    assert all("retry-after" in entry["headers"] for entry in refused)


async def test_cache_hits_do_not_spend_the_subrequest_budget():
    h = edge("subrequests = 3\n")
    await responses(h, *(product(str(n)) for n in range(3)))
    await responses(h, *(product(str(n)) for n in range(3, 6)))
    assert len(h.sent) == 6
    entries = await responses(h, *(product(str(n)) for n in range(6)))
    assert [entry["status"] for entry in entries] == [200] * 6
    assert len(h.sent) == 6


async def test_identical_reads_spend_one_subrequest():
    h = edge("subrequests = 2\n")
    entries = await responses(h, product("1"), get("copy", "/api/products/1"), product("2"))
    assert [entry["status"] for entry in entries] == [200, 200, 200]


async def test_a_refused_url_spends_no_subrequest():
    h = edge("subrequests = 1\n")
    entries = await responses(h, get("bad", "/admin"), product("1"))
    assert [entry["status"] for entry in entries] == [400, 200]


# What an item may send --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "cookie",
        "host",
        "connection",
        "x-forwarded-for",
        "x-forwarded-host",
        "forwarded",
        "x-real-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "edge-geo-zone",
        "edge-geo-level",
        "popcache-debug",
        "x-http-method-override",
        "sec-fetch-site",
        "proxy-authorization",
        "origin",
        "referer",
    ],
)
async def test_an_items_forbidden_header_field_never_reaches_the_origin(name):
    h = edge()
    marker = "planted.example"
    await responses(h, product("1", headers={name: marker}))
    [sent] = h.sent
    assert all(marker not in value for _, value in sent.headers), sent.headers


async def test_the_origin_is_told_the_batchs_client_address_not_one_an_item_claims():
    h = edge()
    claims = {"X-Forwarded-For": "198.51.100.1", "CF-Connecting-IP": "198.51.100.1"}
    await responses(h, product("1", headers=claims), client_ip="203.0.113.7")
    [sent] = h.sent
    assert sent.headers.get("x-forwarded-for") == "203.0.113.7"
    assert sent.headers.get("cf-connecting-ip") == "203.0.113.7"


async def test_an_items_ordinary_header_fields_reach_the_origin():
    h = edge()
    await responses(h, product("1", headers={"Accept-Language": "fr", "X-Client": "app/2"}))
    [sent] = h.sent
    assert (sent.headers.get("accept-language"), sent.headers.get("x-client")) == ("fr", "app/2")


async def test_a_post_items_json_body_reaches_the_origin_with_its_type():
    h = edge()
    [entry] = await responses(h, ORDER)
    [sent] = h.sent
    assert sent.method == "POST"
    assert sent.headers.get("content-type") == JSON
    assert json.loads(sent.body or b"") == {"sku": "A"}
    assert entry["status"] == 201
    assert entry["body"] == {"received": {"sku": "A"}}


async def test_a_post_items_base64_body_reaches_the_origin_decoded():
    h = edge()
    note = {
        "id": "note",
        "method": "POST",
        "url": "/api/cart/notes",
        "headers": {"content-type": "text/plain"},
        "body": base64.b64encode(b'"hello"').decode(),
    }
    await responses(h, note)
    [sent] = h.sent
    assert (sent.body, sent.headers.get("content-type")) == (b'"hello"', "text/plain")


# Credentials ------------------------------------------------------------------------------------


async def test_the_batchs_cookie_and_authorization_are_not_given_to_items_by_default():
    h = edge()
    await responses(h, product("1"), fields=(OUTER_COOKIE, OUTER_AUTHORIZATION))
    [sent] = h.sent
    assert sent.headers.get("cookie") is None
    assert sent.headers.get("authorization") is None


async def test_items_inherit_the_credentials_the_batch_settings_name():
    h = edge('credentials = ["cookie", "authorization"]\n')
    await responses(h, product("1"), fields=(OUTER_COOKIE, OUTER_AUTHORIZATION))
    [sent] = h.sent
    assert sent.headers.get("cookie") == "session=outer"
    assert sent.headers.get("authorization") == "Bearer outer-token"


async def test_items_inherit_only_the_credentials_named():
    h = edge('credentials = ["authorization"]\n')
    await responses(h, product("1"), fields=(OUTER_COOKIE, OUTER_AUTHORIZATION))
    [sent] = h.sent
    assert sent.headers.get("cookie") is None
    assert sent.headers.get("authorization") == "Bearer outer-token"


async def test_an_item_with_inherited_credentials_is_not_stored():
    h = edge('credentials = ["cookie", "authorization"]\n')
    [entry] = await responses(h, product("1"), fields=(OUTER_COOKIE,))
    status = entry["headers"]["cache-status"]
    assert "fwd=request" in status
    assert "detail=credentials" in status
    assert h.store.entries == {}


async def test_an_item_with_inherited_credentials_is_not_answered_from_the_cache():
    h = edge('credentials = ["cookie", "authorization"]\n')
    await responses(h, product("1"))  # no credentials: shared, stored
    assert h.store.entries != {}
    [entry] = await responses(h, product("1"), fields=(OUTER_COOKIE,))
    assert len(h.sent) == 2
    assert "hit" not in entry["headers"]["cache-status"].split("; ")


async def test_an_item_carrying_its_own_authorization_is_never_stored():
    h = edge()
    mine = {"Authorization": "Bearer item-token"}
    [entry] = await responses(h, product("1", headers=mine))
    assert h.sent[0].headers.get("authorization") == "Bearer item-token"
    assert "detail=credentials" in entry["headers"]["cache-status"]
    assert h.store.entries == {}


async def test_an_items_set_cookie_is_not_among_its_header_fields():
    [entry] = await responses(edge(), get("login", "/api/session"))
    assert entry["status"] == 200
    assert "set-cookie" not in {name.lower() for name in entry["headers"]}


async def test_an_items_set_cookie_is_dropped_unless_the_batch_passes_cookies():
    reply = await edge('credentials = ["authorization"]\n').batch(get("login", "/api/session"))
    assert reply.headers.get("set-cookie") is None


async def test_an_items_set_cookie_is_on_the_batch_response_when_the_batch_passes_cookies():
    reply = await edge('credentials = ["cookie"]\n').batch(get("login", "/api/session"))
    assert reply.headers.get("set-cookie") == "session=new; Secure; HttpOnly"
    entry = json_body(reply)["responses"][0]
    assert "set-cookie" not in entry["headers"]


# The front --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_edge/", "/_edge/batches", "/_edge/batch/1", "/_edge/x?y=1"])
async def test_any_other_path_under_the_edges_prefix_is_404_and_never_reaches_the_origin(path):
    h = edge()
    response = await h.send(EdgeRequest("GET", f"https://shop.example{path}", Fields()))
    assert response.status == 404
    assert json_body(response)["field"] == "url"
    assert h.sent == []


async def test_a_batch_url_with_a_query_is_still_the_batch():
    h = edge()
    body = json.dumps({"requests": [product("1")]}).encode()
    request = EdgeRequest(
        "POST", "https://shop.example/_edge/batch?v=1", Fields([("content-type", JSON)]), body
    )
    response = await h.send(request)
    assert json_body(response)["responses"][0]["status"] == 200


async def test_every_other_path_goes_to_the_caching_proxy():
    h = edge()
    response = await h.send(EdgeRequest("GET", "https://shop.example/api/products/1", Fields()))
    assert response.status == 200
    assert "fwd=uri-miss" in (response.headers.get("cache-status") or "")
    assert paths(h) == ["/api/products/1"]


@pytest.mark.parametrize("path", ["/%5Fedge/x", "/%5fedge/batches", "/_%65dge/", "/_edg%65/y"])
async def test_a_percent_encoded_edge_prefix_is_still_the_edges_and_never_reaches_the_origin(
    path,
):
    h = edge()
    response = await h.send(EdgeRequest("GET", f"https://shop.example{path}", Fields()))
    assert response.status == 404
    assert h.sent == []


async def test_a_percent_encoded_batch_path_is_the_batch():
    h = edge()
    body = json.dumps({"requests": [product("1")]}).encode()
    request = EdgeRequest(
        "POST", "https://shop.example/%5Fedge/batch", Fields([("content-type", JSON)]), body
    )
    response = await h.send(request)
    assert json_body(response)["responses"][0]["status"] == 200


async def test_an_item_url_without_a_leading_slash_is_a_path_from_the_storefronts_root():
    h = edge()
    (entry,) = await responses(h, get("1", "api/products/1"))
    assert entry["status"] == 200
    assert paths(h) == ["/api/products/1"]


# Hostile batches ---------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
_URLS = st.one_of(
    st.sampled_from(["/api/products/1", "api/page", "/api/cart", "//evil", "/_edge/batch"]),
    st.text(alphabet="/.%25aAeEfF2\\?#:@ _-", max_size=20),
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_ITEMS = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "A", "c"]) | _TEXT,
        "method": st.sampled_from(["GET", "head", "POST", "DELETE", "TRACE", "PO\u017fT"]),
        "url": _URLS,
    },
    optional={
        "headers": st.dictionaries(
            st.sampled_from(["Content-Type", "Cookie", "Host", "X-A", "bad name"]), _TEXT
        )
        | _JSON,
        "body": _JSON,
        "dependsOn": st.lists(st.sampled_from(["a", "b", "c", "zz"]), max_size=3) | _JSON,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ITEMS | _JSON, max_size=6) | _JSON)
async def test_a_hostile_batch_is_answered_without_a_server_error(requests):
    h = edge()
    body = json.dumps({"requests": requests}).encode()
    reply = await asyncio.wait_for(h.post_batch(body, ("content-type", JSON)), PATIENCE)
    assert reply.status in (200, 400)
    if reply.status == 400:
        assert reply.headers.get("content-type") == PROBLEM
        assert h.sent == []  # refused whole: nothing reached the origin
        return
    for entry in json_body(reply)["responses"]:
        assert entry["status"] < 500


@st.composite
def _well_formed_batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Batches the format accepts, with hostile URLs and header values."""
    count = draw(st.integers(1, 6))
    items = []
    for index in range(count):
        item: dict[str, Any] = {
            "id": f"i{index}",
            "method": draw(st.sampled_from(["GET", "HEAD", "DELETE", "get"])),
            "url": draw(_URLS.filter(bool)),
            "headers": draw(
                st.dictionaries(
                    st.sampled_from(["Accept", "Cookie", "Host", "X-Forwarded-For", "X-A"]),
                    st.text(
                        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF).filter(
                            lambda char: not "\x7f" <= char <= "\x9f"
                        )
                    ),
                    max_size=3,
                )
            ),
        }
        if index and draw(st.booleans()):
            item["dependsOn"] = [f"i{draw(st.integers(0, index - 1))}"]
        items.append(item)
    return items


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_well_formed_batches())
async def test_a_well_formed_batch_of_hostile_items_answers_each_item_below_500(requests):
    h = edge()
    body = json.dumps({"requests": requests}).encode()
    reply = await asyncio.wait_for(h.post_batch(body, ("content-type", JSON)), PATIENCE)
    assert reply.status == 200
    entries = json_body(reply)["responses"]
    assert [entry["id"] for entry in entries] == [item["id"] for item in requests]
    assert all(entry["status"] < 500 for entry in entries)
