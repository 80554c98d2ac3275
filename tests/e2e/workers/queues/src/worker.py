"""A producer and consumer of one queue: fetch sends, queue() records each message in KV."""

from urllib.parse import urlsplit

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        if path.startswith("/send/"):
            key = path.removeprefix("/send/")
            await self.env.JOBS.send({"key": key, "fail": key.startswith("poison")})
            return Response("queued", status=202)
        if path.startswith("/result/"):
            value = await self.env.RESULTS.get(path.removeprefix("/result/"))
            return Response(value or "", status=200 if value is not None else 404)
        return Response("not found", status=404)

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            if batch.queue == "jobs" and message.body["fail"]:
                raise RuntimeError("poison message")
            seen = await self.env.RESULTS.get(message.body["key"])
            count = int(seen.split(":")[-1]) if seen else 0
            await self.env.RESULTS.put(
                message.body["key"], f"{batch.queue}:{message.attempts}:{count + 1}"
            )
