"""``POST /_edge/batch``: many storefront requests in one, each through the caching proxy.

Every item is an ordinary request to the proxy (same key, class, geo scope, collapsing and
cache), built from the item alone: the batch's own cookies and ``Authorization`` travel only
when ``[batch] credentials`` says so, and an item carrying either is never looked up or stored.
Items are refused one by one (a URL outside the allowed prefixes: 400; past the subrequest
budget: 429) while the batch answers 200, as Graph does; a malformed batch is refused whole
before any item runs. Format and limits: docs/batch.md.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from urllib.parse import urlsplit

import jsonbounds
from batchconfig import BatchSettings
from batchformat import BatchError, BatchItem, is_json_type, parse_batch_body
from batchrun import run_items
from batchsafety import item_fields, item_path, refuse_url
from geoscope import Geo
from messages import EdgeRequest, EdgeResponse, Fields
from problem import method_not_allowed, problem
from proxy import Proxy, Runtime
from upstream import Origin, OriginError

__all__ = ["BatchEndpoint", "item_json"]

_JSON = "application/json"


class BatchEndpoint:
    """The batch endpoint of one proxy."""

    def __init__(self, proxy: Proxy, settings: BatchSettings) -> None:
        self.proxy = proxy
        self.settings = settings

    async def handle(self, request: EdgeRequest, runtime: Runtime, geo: Geo) -> EdgeResponse:
        if request.method != "POST":
            return method_not_allowed("a batch is sent with POST", "POST")
        if not is_json_type(request.headers.get("content-type")):
            return problem(415, "a batch is an application/json body", field="content-type")
        try:
            batch = parse_batch_body(request.body or b"", self.settings)
        except BatchError as exc:
            members = {"pointer": exc.pointer} | ({"item": exc.item} if exc.item else {})
            return problem(400, exc.detail, field=exc.field, **members)
        base = "{0.scheme}://{0.netloc}".format(urlsplit(request.url))
        inherited = [
            (name, value) for name, value in request.headers if name in self.settings.credentials
        ]
        budget = _Budget(self.settings.subrequests)

        async def send(item: BatchItem) -> EdgeResponse:
            path = item_path(item.url)
            reason = refuse_url(path, self.settings.prefixes)
            if reason is not None:
                return problem(400, f"url {item.url[:200]!r}: {reason}", field="url")
            fields = item_fields(item.headers)
            for name, value in inherited:
                fields.add(name, value)
            private = fields.has("cookie") or fields.has("authorization")
            url, body, client = base + path, item.body, request.client_ip
            forward = EdgeRequest(item.method, url, fields, body, client)
            origin = await budget.item_origin(runtime.origin)
            if origin is None:
                return _over_budget(self.settings.subrequests)
            try:
                served = await self.proxy.serve(
                    forward, _with_origin(runtime, origin), geo, shared=not private
                )
            finally:
                origin.done()
            return served[0]

        responses = await run_items(batch.items, send, self.settings.concurrency)
        headers = Fields([("content-type", _JSON), ("cache-control", "no-store")])
        if "cookie" in self.settings.credentials:
            lifted = {  # the browser keeps the session the items were given, each cookie once
                value: None
                for response in responses
                for name, value in response.headers
                if name == "set-cookie"
            }
            for value in lifted:
                headers.add("set-cookie", value)
        document = {
            "responses": [
                item_json(item.id, response)
                for item, response in zip(batch.items, responses, strict=True)
            ]
        }
        return EdgeResponse(200, headers, jsonbounds.dump(document))


def item_json(item_id: str, response: EdgeResponse) -> dict[str, object]:
    """One item's entry in ``responses``: a JSON body stays JSON, any other is base64 with
    ``"encoding": "base64"``; ``Set-Cookie`` never reaches the page's script."""
    headers: dict[str, str] = {}
    for name, value in response.headers:
        if name != "set-cookie":
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    entry: dict[str, object] = {"id": item_id, "status": response.status, "headers": headers}
    if not response.body:
        return entry
    if is_json_type(headers.get("content-type")):
        try:
            entry["body"] = jsonbounds.load(response.body)
            return entry
        except ValueError:
            pass  # not JSON after all (or nested past the limit): sent as bytes, like any other
    entry["body"] = base64.b64encode(response.body).decode("ascii")
    entry["encoding"] = "base64"
    return entry


def _over_budget(limit: int) -> EdgeResponse:
    response = problem(
        429,
        f"the batch has used its {limit} subrequests (the Workers plan's limit per request); "
        "send the rest in another batch",
        field="subrequests",
    )
    response.headers.set("retry-after", "0")
    return response


def _with_origin(runtime: Runtime, origin: Origin) -> Runtime:
    """The batch's runtime with its subrequest-counting origin; the items' outcomes and
    origin exchanges are noted on the batch's own tally."""
    return Runtime(
        origin, runtime.store, runtime.now, runtime.wait_until, runtime.zones, tally=runtime.tally
    )


class _Budget:
    """The batch's origin fetches: an item holds one before it starts, returned unused if the
    cache or a collapsed fetch answered it; further fetches (a refresh in the background) take
    what is left or fail as the runtime fails a fetch past its limit. An item finding none
    left waits while others still hold one they may return: a hit never costs a later item
    its fetch, however the lookups interleave."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.held = 0  # taken by items not yet known to need the origin
        self.changed = asyncio.Event()

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    async def item_origin(self, origin: Origin) -> _ItemOrigin | None:
        while self.left <= 0 and self.held > 0:
            await self.changed.wait()
        if not self.take():
            return None
        self.held += 1
        return _ItemOrigin(self, origin)

    def settle(self, unused: bool) -> None:
        """One held fetch is used (``unused`` False) or given back."""
        self.held -= 1
        if unused:
            self.left += 1
        self.changed.set()
        self.changed = asyncio.Event()


@dataclass(slots=True)
class _ItemOrigin:
    budget: _Budget
    origin: Origin
    held: bool = True

    async def __call__(self, request: EdgeRequest) -> EdgeResponse:
        if self.held:
            self.held = False
            self.budget.settle(unused=False)
        elif not self.budget.take():
            raise OriginError("proxy_internal_error", "the batch's subrequest budget is spent")
        return await self.origin(request)

    def done(self) -> None:
        if self.held:
            self.held = False
            self.budget.settle(unused=True)
