"""Faults on the path from the PoPs to the origin: which apply to a fetch, and what they do.

Users test their own Worker against a bad origin without changing the origin: the emulator
delays, answers for, refuses or breaks off the worker's outgoing fetches. A :class:`Fault`
(validated by :mod:`emulator.faultconfig`) matches fetches by the URL's path and, optionally,
by PoP; :class:`FaultInjector` holds the current faults and draws, per fetch, from the
``random.Random`` it is given, so a seeded generator replays the same faults. For one fetch:

- every matching fault fires with probability ``rate`` (one draw per fault below rate 1);
- the latency of every firing fault adds up (``latency_ms`` plus a uniform
  ``0..jitter_ms``) and is waited out before anything is sent;
- the first firing fault whose kind is not ``latency`` decides the outcome: ``status``
  answers for the origin (which is never reached), ``refuse`` raises ``OSError`` as a refused
  connection does, ``reset`` lets the response's headers through and breaks off its body.

Faults only touch fetches to the configured origin (scheme, host and port), or every fetch
when the emulator knows no origin. The emulator's own endpoints are never fetched, so never
faulted. Each faulted fetch is logged on ``popcache.faults``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

from .errors import PROBLEM_JSON
from .runtime.headers import JsHeaders
from .runtime.http import BodyUsedError, JsRequest, JsResponse, ReadableStream

__all__ = [
    "INJECTED_HEADER",
    "KINDS",
    "BodyResetResponse",
    "Fault",
    "FaultInjector",
    "Plan",
    "origin_key",
]

log = logging.getLogger("popcache.faults")

KINDS = ("latency", "status", "refuse", "reset")
INJECTED_HEADER = "popcache-injected"
"""Marks what a fault produced, as the demo origin marks its injected failures."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Fault:
    """One fault as validated; ``to_json`` gives it back in the schema it was written in."""

    path: str
    pattern: re.Pattern[str] = field(repr=False, compare=False)
    kind: str = "latency"
    pops: tuple[str, ...] | None = None  # colo codes; None: every PoP
    latency_ms: int = 0
    jitter_ms: int = 0
    status: int | None = None  # kind "status" only
    retry_after: int | None = None  # seconds, status 429 or 503 only
    rate: float = 1.0

    def to_json(self) -> dict[str, object]:
        """The fault as a ``[[fault]]`` table or JSON object; a PUT of it gives it back."""
        data: dict[str, object] = {"path": self.path, "kind": self.kind}
        if self.pops is not None:
            data["pops"] = list(self.pops)
        data["latency_ms"] = self.latency_ms
        data["jitter_ms"] = self.jitter_ms
        if self.status is not None:
            data["status"] = self.status
        if self.retry_after is not None:
            data["retry_after"] = self.retry_after
        data["rate"] = self.rate
        return data


def origin_key(url: str) -> tuple[str, str, int] | None:
    """Scheme, host and port of an http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


class FaultInjector:
    """The emulator's current faults, the origin they aim at, and the draws that fire them."""

    def __init__(self, faults: Iterable[Fault] = (), rng: random.Random | None = None) -> None:
        self.faults: tuple[Fault, ...] = tuple(faults)
        self.rng = rng or random.Random()
        self._origin: tuple[str, str, int] | None = None

    def replace(self, faults: Iterable[Fault], rng: random.Random | None = None) -> None:
        """Swap every fault at once (and the generator, if given): a fetch sees old or new."""
        self.faults = tuple(faults)
        if rng is not None:
            self.rng = rng

    def aim(self, origin: str | None) -> None:
        """Fault fetches to ``origin`` only (an http(s) URL); anything else: every fetch."""
        self._origin = origin_key(origin) if origin else None

    def to_json(self) -> dict[str, object]:
        return {"fault": [fault.to_json() for fault in self.faults]}

    def plan(self, colo: str, request: JsRequest) -> Plan | None:
        """What the faults do to this fetch from ``colo``; None when nothing fires."""
        if not self.faults:  # the usual case: no draw, no parsing
            return None
        if self._origin is not None and origin_key(request.url) != self._origin:
            return None
        path = urlsplit(request.url).path or "/"
        delay_ms = 0.0
        fired: list[str] = []
        effect: Fault | None = None
        effect_name = ""
        for index, fault in enumerate(self.faults):
            if fault.pops is not None and colo not in fault.pops:
                continue
            if not fault.pattern.fullmatch(path):
                continue
            if fault.rate < 1 and not self.rng.random() < fault.rate:
                continue
            name = f"fault[{index}]"
            extra = fault.latency_ms + (
                self.rng.uniform(0, fault.jitter_ms) if fault.jitter_ms else 0
            )
            if extra:
                delay_ms += extra
                fired.append(f"{name} +{extra:.0f} ms")
            if fault.kind != "latency" and effect is None:
                effect, effect_name = fault, name
                fired.append(f"{name} {fault.kind}{f' {fault.status}' if fault.status else ''}")
        if not fired:
            return None
        log.info("%s: %s %s: %s", colo, request.method, request.url, ", ".join(fired))
        return Plan(delay_ms, effect, effect_name)


@dataclass(frozen=True)
class Plan:
    """The faults one fetch gets: a delay, then at most one effect."""

    delay_ms: float
    effect: Fault | None
    name: str  # the effect's, "fault[<index>]", for messages

    async def before(self, request: JsRequest) -> JsResponse | None:
        """Wait out the latency; then answer for the origin (a response) or refuse (raise)."""
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        effect = self.effect
        if effect is None:
            return None
        if effect.kind == "refuse":
            netloc = urlsplit(request.url).netloc
            # The shape of the fetcher's own network errors (aiohttp's refused connection).
            raise OSError(
                f"Network connection lost. (ClientConnectorError: Cannot connect to host "
                f"{netloc} ssl:default [Connect call failed: connection refused by popcache "
                f"{self.name} ({effect.path})])"
            )
        if effect.kind == "status":
            return self._answer(effect, request)
        return None

    def after(self, response: JsResponse) -> JsResponse:
        """The origin's response as the fetch returns it: a ``reset`` breaks its body off."""
        effect = self.effect
        if effect is None or effect.kind != "reset" or response._body is None:
            return response  # a response without a body (HEAD, 204, 304) has nothing to break
        broken = BodyResetResponse.of(
            response,
            "Network connection lost. (ClientPayloadError: Response payload is not completed: "
            f"the body was broken off by popcache {self.name} ({effect.path}))",
        )
        broken.headers.set(INJECTED_HEADER, "reset")
        return broken

    def _answer(self, fault: Fault, request: JsRequest) -> JsResponse:
        assert fault.status is not None
        phrase = HTTPStatus(fault.status).phrase
        headers = JsHeaders(
            [
                ("content-type", PROBLEM_JSON),
                ("cache-control", "no-store"),
                (INJECTED_HEADER, fault.kind),
            ]
        )
        if fault.retry_after is not None:
            headers.set("retry-after", str(fault.retry_after))
        body = json.dumps(
            {
                "type": "about:blank",
                "title": phrase,
                "status": fault.status,
                "detail": f"injected by popcache {self.name} ({fault.path}) instead of the origin",
            }
        )
        return JsResponse(
            None if request.method == "HEAD" else body.encode(),
            status=fault.status,
            statusText=phrase,
            headers=headers,
            url=request.url,
        )


class _BrokenStream(ReadableStream):
    """The body stream of a reset response: taking it raises the reset."""

    __slots__ = ("_reason",)

    def __init__(self, reason: str) -> None:
        super().__init__(b"")
        self._reason = reason

    def _take(self) -> bytes:
        raise OSError(self._reason)


class BodyResetResponse(JsResponse):
    """A fetched response whose body broke off after the headers arrived: an injected
    ``reset``, or an origin that hung up before its body was whole (a ``Content-Length``
    longer than what it sent), which the fetcher turns into one of these.

    Status and headers are the origin's; reading the body (``text()``, ``bytes()``,
    ``json()``, the Cache API's ``put``, or a ``Response`` built from ``.body``) raises
    ``OSError`` as Pyodide does on a broken stream. Returned to the front door as it is, the
    client gets the headers and part of the body, then the connection closes.
    """

    __slots__ = ("reason",)
    reason: str

    @classmethod
    def of(cls, response: JsResponse, reason: str) -> BodyResetResponse:
        broken = cls(
            response._body,
            status=response.status,
            statusText=response.statusText,
            headers=JsHeaders(response.headers),
            url=response.url,
            redirected=response.redirected,
        )
        broken.reason = reason
        return broken

    @property
    def body(self) -> ReadableStream | None:
        return None if self._body is None else _BrokenStream(self.reason)

    def _consume(self) -> bytes:
        if self.bodyUsed:
            raise BodyUsedError()
        self.bodyUsed = True
        raise OSError(self.reason)

    def clone(self) -> BodyResetResponse:
        if self.bodyUsed:
            raise TypeError("Body has already been used. It can only be used once.")
        return BodyResetResponse.of(self, self.reason)
