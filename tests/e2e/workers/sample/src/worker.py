"""A small Worker exercising what the emulator provides; the end-to-end tests drive it."""

from js import caches
from routes import route_of
from workers import Response, WorkerEntrypoint, fetch

HITS = {"count": 0}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        HITS["count"] += 1
        path = route_of(request.url)
        if path == "/cf":
            return Response.json(request.cf.to_py())
        if path == "/isolate-hits":
            return Response.json({"hits": HITS["count"]})
        if path.startswith("/kv/"):
            key = path.removeprefix("/kv/")
            if request.method == "PUT":
                await self.env.NOTES.put(key, await request.text())
                return Response("stored", status=201)
            value = await self.env.NOTES.get(key)
            return Response(value or "", status=200 if value is not None else 404)
        if path == "/cached":
            cache = caches.default
            hit = await cache.match(request.url)
            if hit is not None:
                return Response(hit)
            response = Response("fresh from the worker", headers={"Cache-Control": "max-age=60"})
            # A clone is Pyodide's FetchResponse: it has js_response, not the SDK's js_object.
            self.ctx.waitUntil(cache.put(request.url, response.clone().js_response))
            return response
        if path == "/proxy":
            upstream = await fetch(self.env.ORIGIN + "/healthz")
            return Response(await upstream.text(), status=upstream.status)
        if path == "/url":
            return Response(request.url)
        if path == "/headers":
            return Response.json(dict(request.headers.items()))
        if path == "/pass-through":
            self.ctx.passThroughOnException()
            raise RuntimeError("the origin should answer instead")
        if path == "/boom":
            raise RuntimeError("the handler exploded")
        if path == "/last-cron":
            return Response(await self.env.NOTES.get("last-cron") or "never")
        return Response(f"{self.env.GREETING} from {request.cf.colo}")

    # Class entrypoints get env and ctx as None in handlers (workerd passes undefined): the
    # bindings are self.env, the context self.ctx.
    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            if message.body.get("fail"):
                raise RuntimeError("consumer failed")
            if message.body.get("later"):
                message.retry(delaySeconds=30)
                continue
            await self.env.NOTES.put(message.body["key"], f"{batch.queue}:{message.attempts}")
            message.ack()

    async def scheduled(self, controller, env, ctx):
        await self.env.NOTES.put("last-cron", f"{controller.cron}@{int(controller.scheduledTime)}")
