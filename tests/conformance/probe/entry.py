"""The conformance probe: each route answers what this Worker was handed, as JSON."""

from js import caches
from workers import Request, Response, WorkerEntrypoint, fetch

# What the event handlers saw, reported by GET /seen (module state: one isolate).
SEEN: list[list[object]] = []


def _kind(value: object) -> str:
    return "None" if value is None else "an object"


CACHE = "https://probe.example/cache/"
DATE = "Thu, 01 Jan 2026 00:00:00 GMT"  # the conformance clock's start
# name -> (status, headers) of what /cache/put stores (or tries to) under CACHE + name.
PUTS: dict[str, tuple[int, dict[str, str]]] = {
    "max-age": (200, {"Cache-Control": "max-age=60", "Cache-Tag": "One, two ,"}),
    "s-maxage": (200, {"Cache-Control": "max-age=10, s-maxage=100"}),
    "expires": (200, {"Expires": "Thu, 01 Jan 2026 00:01:40 GMT", "Date": DATE}),
    "expires-invalid": (200, {"Expires": "0"}),
    "age": (200, {"Cache-Control": "max-age=60", "Age": "50"}),
    "no-store": (200, {"Cache-Control": "no-store"}),
    "no-cache": (200, {"Cache-Control": "no-cache, max-age=60"}),
    "private": (200, {"Cache-Control": "private, max-age=60"}),
    "set-cookie": (200, {"Cache-Control": "max-age=60", "Set-Cookie": "a=1"}),
    "private-set-cookie": (
        200,
        {"Cache-Control": 'max-age=60, private="Set-Cookie"', "Set-Cookie": "a=1"},
    ),
    "pragma": (200, {"Pragma": "no-cache"}),
    "default-200": (200, {}),
    "default-404": (404, {}),
    "default-500": (500, {}),
    "validators": (
        200,
        {"Cache-Control": "max-age=60", "ETag": '"v1"', "Last-Modified": DATE},
    ),
    "vary-star": (200, {"Cache-Control": "max-age=60", "Vary": "*"}),
    "not-modified": (304, {"Cache-Control": "max-age=60"}),
    "partial": (206, {"Cache-Control": "max-age=60", "Content-Range": "bytes 0-1/10"}),
}
# name -> request fields of a /cache/match lookup with a Request key.
LOOKUPS: dict[str, tuple[str, dict[str, str]]] = {
    "if-none-match": ("validators", {"If-None-Match": 'W/"v1"'}),
    "if-none-match-other": ("validators", {"If-None-Match": '"v2"'}),
    "if-modified-since": ("validators", {"If-Modified-Since": DATE}),
    "range": ("max-age", {"Range": "bytes=2-4"}),
    "range-suffix": ("max-age", {"Range": "bytes=-3"}),
    "range-unsatisfiable": ("max-age", {"Range": "bytes=50-"}),
    "range-whole": ("max-age", {"Range": "bytes=-100"}),
}


def _error(exc: Exception) -> list[str]:
    # The message only: how the error reaches Python is /cache/errors' subject.
    return ["error", str(exc).removeprefix("TypeError: ")]


async def _answer(hit: object) -> object:
    if hit is None:
        return None
    response = Response(hit)
    return {
        "status": response.status,
        "headers": sorted([name, value] for name, value in hit.headers),
        "body": await response.text(),
    }


class Default(WorkerEntrypoint):
    async def fetch(self, request, env=None, ctx=None):
        path = request.url.split("://", 1)[1].partition("/")[2].partition("?")[0]
        if path == "args":
            return Response.json({"env": _kind(env), "ctx": _kind(ctx)})
        if path == "seen":
            return Response.json(SEEN)
        if path == "echo":
            return Response.json(
                {
                    "url": request.url,
                    "method": str(request.method),
                    "headers": sorted(request.headers.items()),
                    "text": await request.text(),
                }
            )
        if path == "subrequest":
            # ?body=text: a str body; ?body=bytes: a bytes body; else a GET.
            kind = request.url.partition("body=")[2]
            options = {"headers": {"x-probe": "1"}}
            if kind:
                options |= {"method": "POST", "body": "hi" if kind == "text" else b"\x00hi"}
            upstream = await fetch(self.env.ORIGIN + "/upstream", **options)
            return Response.json(
                {
                    "status": upstream.status,
                    "ok": upstream.ok,
                    "content-type": upstream.headers.get("content-type"),
                    "text": await upstream.text(),
                },
                status=201,
                headers={"x-probe": "answered"},
            )
        if path == "clone":
            copy = Response("x", headers={"Cache-Control": "max-age=60"}).clone()
            return Response.json(
                [type(copy).__name__, hasattr(copy, "js_object"), hasattr(copy, "js_response")]
            )
        if path == "cache/put":
            results = {}
            for name, (status, headers) in PUTS.items():
                body = None if status == 304 else f"body of {name}"
                response = Response(body, status=status, headers=headers)
                try:
                    results[name] = await caches.default.put(CACHE + name, response.js_object)
                except Exception as exc:
                    results[name] = _error(exc)
            try:
                post = Request(CACHE + "post", method="POST", body="x").js_object
                await caches.default.put(post, Response("x").js_object)
            except Exception as exc:
                results["post-key"] = _error(exc)
            return Response.json(results)
        if path == "cache/match":
            results = {}
            for name in PUTS:
                results[name] = await _answer(await caches.default.match(CACHE + name))
            for name, (stored, fields) in LOOKUPS.items():
                key = Request(CACHE + stored, headers=fields).js_object
                results[name] = await _answer(await caches.default.match(key))
            head = Request(CACHE + "max-age", method="HEAD").js_object
            results["head"] = await _answer(await caches.default.match(head))
            return Response.json(results)
        if path == "cache/delete":
            return Response.json(
                {
                    "s-maxage": await caches.default.delete(CACHE + "s-maxage"),
                    "again": await caches.default.delete(CACHE + "s-maxage"),
                    "missing": await caches.default.delete(CACHE + "missing"),
                }
            )
        if path == "cache/options":
            # Options as keywords: Pyodide passes them as a trailing JS object.
            await caches.default.put(
                CACHE + "options", Response("x", headers={"Cache-Control": "max-age=60"}).js_object
            )
            head = Request(CACHE + "options", method="HEAD").js_object
            try:
                return Response.json(
                    await _answer(await caches.default.match(head, ignoreMethod=True))
                )
            except Exception as exc:
                return Response.json([type(exc).__name__, str(exc)])
        if path == "cache/errors":
            # How a Cache API error reaches Python: the JS TypeError as the runtime raises it.
            try:
                await caches.default.put(
                    CACHE + "vary-star", Response("x", headers={"Vary": "*"}).js_object
                )
            except Exception as exc:
                return Response.json([type(exc).__name__, getattr(exc, "name", None), str(exc)])
            return Response.json(None)
        return Response("not found", status=404)

    async def scheduled(self, controller, env, ctx):
        SEEN.append(["scheduled", controller.cron, _kind(env), _kind(ctx)])

    async def queue(self, batch, env, ctx):
        SEEN.append(["queue", batch.queue, _kind(env), _kind(ctx)])
        for message in batch.messages:
            message.ack()
