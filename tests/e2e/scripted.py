"""A storefront origin on loopback for end-to-end tests: it answers each path as a test
scripts it and records every request it receives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

__all__ = ["Handler", "ScriptedOrigin", "answer", "serve"]

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class ScriptedOrigin:
    """An origin on loopback whose answer per path a test sets, counting what it receives."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[web.BaseRequest] = []
        self.scripts: dict[str, Handler] = {}
        self.url = ""

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.requests.append(request)
        script = self.scripts.get(request.path)
        if script is None:
            return answer(f"default {request.path}", "public, max-age=60")
        return await script(request)

    def on(self, path: str, handler: Handler) -> None:
        self.scripts[path] = handler

    def answers(self, path: str, *responses: Callable[[], web.StreamResponse]) -> None:
        """Answer ``path`` with each response in turn, the last one from then on."""
        queue = list(responses)

        async def script(request: web.BaseRequest) -> web.StreamResponse:
            return (queue.pop(0) if len(queue) > 1 else queue[0])()

        self.on(path, script)


def answer(body: str, cache_control: str | None, **headers: str) -> web.Response:
    fields = {"Content-Type": "text/plain", **headers}
    if cache_control is not None:
        fields["Cache-Control"] = cache_control
    return web.Response(text=body, headers=fields)


async def serve(aiohttp_raw_server: Any, scripted: ScriptedOrigin | None = None) -> ScriptedOrigin:
    """Start ``scripted`` (a fresh one by default) with pytest-aiohttp's raw server fixture."""
    scripted = scripted or ScriptedOrigin()
    server = await aiohttp_raw_server(scripted.handle)
    scripted.url = str(server.make_url("")).rstrip("/")
    return scripted
