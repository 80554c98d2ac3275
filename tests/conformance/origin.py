"""The scripted origin both legs of the conformance suite talk to: aiohttp on loopback.

It runs in a thread with its own event loop, so that a blocking call into the Pyodide harness
(which fetches from it) and the emulator (which runs in the test's loop) can both reach it. A
case scripts the answers per path (each path answers its ``Answer``s in turn, the last one from
then on; an unscripted path is a 404), and the origin records every request it receives. An
``Answer`` with a ``delay`` is sent that many seconds (real ones: the edge times its wait on the
origin with the runtime's event loop, not with the conformance clock) after the request arrived.

Its ``Date`` field is the conformance clock's time, not the wall clock's: both legs run on a
fake clock starting at the same instant, so what the edge computes from ``Date`` (apparent age,
``Expires`` lifetimes) is the same on both.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate

from aiohttp import web

__all__ = ["Answer", "OriginRequest", "ScriptedOrigin"]


@dataclass(frozen=True)
class Answer:
    """One scripted response. ``echo`` names request fields whose values end the body, so a
    test can see which variant (``Accept-Language``, ...) the origin was asked for; ``delay``
    is how many seconds of real time the origin takes to answer (a slow origin)."""

    status: int = 200
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    echo: tuple[str, ...] = ()
    delay: float = 0.0

    def response(self, request: web.BaseRequest, now: float) -> web.Response:
        headers = {"Date": formatdate(now, usegmt=True), **self.headers}
        body = self.body
        if self.echo:
            body += " " + " ".join(f"{name}={request.headers.get(name)}" for name in self.echo)
        if self.status in (204, 304):
            return web.Response(status=self.status, headers=headers)
        headers.setdefault("Content-Type", "text/plain")
        return web.Response(status=self.status, body=body.encode(), headers=headers)


@dataclass(frozen=True)
class OriginRequest:
    """What the origin received: method, target (path and query), fields and body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: str


class ScriptedOrigin:
    """The origin server, in its own thread; ``url`` once started."""

    def __init__(self) -> None:
        self.url = ""
        self.now = 0.0
        self.requests: list[OriginRequest] = []
        self._scripts: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.ServerRunner | None = None

    def start(self) -> ScriptedOrigin:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self._runner = web.ServerRunner(web.Server(self._handle), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def script(self, answers: Mapping[str, Sequence[Answer]], now: float) -> None:
        """Start a leg: these answers, no requests seen, the clock at ``now``."""
        with self._lock:
            self._scripts = {path: list(queue) for path, queue in answers.items()}
            self.requests = []
            self.now = now

    def take(self) -> list[OriginRequest]:
        """The requests received since the last ``take`` (or ``script``)."""
        with self._lock:
            taken, self.requests = self.requests, []
        return taken

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        with self._lock:
            self.requests.append(
                OriginRequest(
                    request.method,
                    request.raw_path,
                    tuple(
                        (name.decode("latin-1").lower(), value.decode("latin-1"))
                        for name, value in request.raw_headers
                    ),
                    body.decode("utf-8", errors="replace"),
                )
            )
            queue = self._scripts.get(request.path)
            answer = None if not queue else queue.pop(0) if len(queue) > 1 else queue[0]
            now = self.now
        if answer is None:
            return web.Response(
                status=404,
                text=f"no script for {request.path}",
                headers={"Cache-Control": "no-store"},
            )
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)
        return answer.response(request, now)
