"""Outgoing ``fetch`` over the real network, one HTTP client per emulator.

Worker code calls ``workers.fetch``; the PoP running it has entered ``invocation`` for it (and
the background tasks it spawns inherit that, as contextvars do), so no module opens its own
connections. As on Cloudflare, at most ``SIMULTANEOUS_CONNECTIONS`` of an invocation's fetches
wait for response headers at a time; the others queue until one gets its headers. Network
failures raise ``OSError``, as Pyodide's ``pyfetch`` does; a body that breaks off after the
headers (a reset, a ``Content-Length`` longer than what came) raises it when it is read, as the
runtime's streamed bodies do (:class:`emulator.faults.BodyResetResponse`). A body goes out with the
``Content-Type`` the ``Request`` has (a str body's is set when it is built, :mod:`.http`),
never one of the HTTP client's own. Each PoP fetches through its own view of the emulator's
fetcher (``at(colo)``): the same connections, with the injected faults (:mod:`emulator.faults`)
that reach that PoP applied while the fetch waits for its headers. With Tiered Cache on, a GET
or HEAD to the origin goes through the emulator's upper tier (:mod:`emulator.uppertier`), which
sends it on (faults and all) only on its own miss; the fetch holds its place among the six until
the tier answers or the origin's headers arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from ..faults import BodyResetResponse
from .headers import JsHeaders
from .http import JsRequest, JsResponse

if TYPE_CHECKING:
    from ..faults import FaultInjector
    from ..uppertier import UpperTier

__all__ = ["SIMULTANEOUS_CONNECTIONS", "Fetcher", "invocation", "perform_fetch"]

# Cloudflare's proxy gives up on an origin after 100 s (error 524).
ORIGIN_TIMEOUT_S = 100.0
# The Fetch standard's redirect limit.
MAX_REDIRECTS = 20
SIMULTANEOUS_CONNECTIONS = 6
"""Subrequests one invocation may have waiting for response headers at once, on every plan
(developers.cloudflare.com/workers/platform/limits/#simultaneous-open-connections)."""


class Fetcher:
    """Performs JS ``Request`` objects with one shared aiohttp session."""

    def __init__(self, faults: FaultInjector | None = None, tier: UpperTier | None = None) -> None:
        """``tier``: the upper tier that GET and HEAD fetches to the origin go through."""
        self._session: aiohttp.ClientSession | None = None
        self._faults = faults
        self._tier = tier
        self._colo = ""
        self._root = self  # the fetcher that owns the session

    def at(self, colo: str) -> Fetcher:
        """This fetcher as PoP ``colo`` uses it: the same session and upper tier, the faults
        that reach ``colo``; closing the original closes it."""
        view = Fetcher(self._faults, self._tier)
        view._colo = colo
        view._root = self._root
        return view

    def _client(self) -> aiohttp.ClientSession:
        root = self._root
        if root._session is None:
            root._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=ORIGIN_TIMEOUT_S),
                # workerd sends the request as the worker built it: no User-Agent of its own,
                # and no Content-Type where the body gave none (aiohttp would add
                # application/octet-stream to a bytes body and to any body-less POST/PUT/PATCH).
                skip_auto_headers=("User-Agent", "Content-Type"),
            )
        return root._session

    async def fetch(
        self, request: JsRequest, waiting: asyncio.Semaphore | None = None
    ) -> JsResponse:
        """Perform ``request``; ``waiting`` bounds the invocation's fetches awaiting headers."""
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TypeError(f"Fetch API cannot load: {request.url}")
        slot = _Slot(waiting)
        await slot.take()
        try:
            tier = self._tier
            if tier is not None and tier.serves(request):
                return await tier.fetch(request, lambda sent: self._network(sent, slot))
            return await self._network(request, slot)
        finally:
            slot.free()

    async def _network(self, request: JsRequest, slot: _Slot) -> JsResponse:
        """Send ``request`` over the network, with the faults that reach this PoP; ``slot`` is
        freed once the response's headers are in."""
        body = request._body if request._body is not None else None
        plan = self._faults.plan(self._colo, request) if self._faults is not None else None
        try:
            if plan is not None:  # injected latency waits for headers as a slow origin does
                injected = await plan.before(request)
                if injected is not None:
                    return injected
            async with self._client().request(
                request.method,
                request.url,
                headers=request.headers.raw(),
                data=body,
                allow_redirects=request.redirect == "follow",
                max_redirects=MAX_REDIRECTS,
            ) as upstream:
                slot.free()  # headers are in: the next queued fetch may start
                broken = None
                try:
                    payload = await upstream.read()
                except (aiohttp.ClientPayloadError, TimeoutError) as exc:
                    # On the runtime fetch resolves with the headers and reading the body is
                    # what fails: the edge must see a broken body, not a refused connection.
                    payload, broken = b"", _lost(exc)
                response = JsResponse(
                    payload
                    if request.method != "HEAD" and upstream.status not in (204, 304)
                    else None,
                    status=upstream.status,
                    statusText=upstream.reason or "",
                    headers=JsHeaders.trusted(
                        [
                            (name.decode("latin-1").lower(), value.decode("latin-1"))
                            for name, value in upstream.raw_headers
                        ]
                    ),
                    url=str(upstream.url),
                    redirected=bool(upstream.history),
                )
                if broken is not None:
                    return BodyResetResponse.of(response, broken)
                return response if plan is None else plan.after(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OSError(_lost(exc)) from exc

    async def close(self) -> None:
        if self._root is not self:
            return  # a PoP's view: the emulator closes the session it shares
        if self._session is not None:
            await self._session.close()
            self._session = None


def _lost(exc: BaseException) -> str:
    """Pyodide's message for a network failure."""
    return f"Network connection lost. ({type(exc).__name__}: {exc})"


class _Slot:
    """One fetch's place among an invocation's fetches waiting for headers, freed once."""

    __slots__ = ("_waiting",)

    def __init__(self, waiting: asyncio.Semaphore | None) -> None:
        self._waiting = waiting

    async def take(self) -> None:
        if self._waiting is not None:
            await self._waiting.acquire()

    def free(self) -> None:
        if self._waiting is not None:
            self._waiting.release()
            self._waiting = None


_current: ContextVar[tuple[Fetcher, asyncio.Semaphore]] = ContextVar("popcache_fetcher")


@contextlib.contextmanager
def invocation(fetcher: Fetcher) -> Iterator[None]:
    """One invocation of a handler: its fetches go through ``fetcher``, six awaiting headers
    at most (its ``waitUntil`` work included)."""
    token = _current.set((fetcher, asyncio.Semaphore(SIMULTANEOUS_CONNECTIONS)))
    try:
        yield
    finally:
        _current.reset(token)


async def perform_fetch(request: JsRequest) -> JsResponse:
    try:
        fetcher, waiting = _current.get()
    except LookupError:
        raise RuntimeError(
            "fetch() was called outside a request: the emulator sets up the network per request"
        ) from None
    return await fetcher.fetch(request, waiting)
