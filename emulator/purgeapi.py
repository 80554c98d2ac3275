"""Cloudflare's zone purge API, served by the emulator and applied to the caches of every PoP.

Production is ``POST https://api.cloudflare.com/client/v4/zones/{zone_id}/purge_cache``
(https://developers.cloudflare.com/api/resources/cache/methods/purge/) and, since 2026-09,
``POST .../zones/{zone_id}/invalidate_cache``, which marks matching content stale instead of
deleting it, with "the same format as the corresponding purge request" and the same limits
(https://developers.cloudflare.com/cache/guides/invalidate-cache/). The emulator serves both
under ``PURGE_API_PATH`` on its front door, so a client points its API base there instead of
``PRODUCTION_API_BASE`` and changes nothing else:

- ``Authorization: Bearer <token>`` must carry the configured token, else 403 code 10000
  "Authentication error"; another zone id is a 404 code 7003; methods other than POST a 405.
- The body is a JSON object with exactly one of ``files`` (URLs, or ``{"url", "headers"}``
  objects whose headers are checked and ignored: the Cache API keeps one entry per URL),
  ``tags``, ``hosts``, ``prefixes`` (host and path, no scheme) or ``"purge_everything": true``
  ("Send one of these fields"). Lists hold 1 to 100 non-empty strings (500 files on
  Enterprise). Anything else is a 400 whose message names the member at fault. Emulator-only:
  ``"soft": true`` in a ``purge_cache`` body makes it an ``invalidate_cache``.
- Purge and invalidate draw from the plan's token buckets (:mod:`emulator.purgelimit`); over
  the limit is a 429 with ``Retry-After`` and code 971, the global API limiter's answer
  (the purge buckets' own body is not documented). ``Ratelimit``/``Ratelimit-Policy`` follow
  https://developers.cloudflare.com/fundamentals/api/reference/limits/.
- Success is 200 ``{"success": true, "errors": [], "messages": [], "result": {"id": zone}}``;
  every answer uses that envelope, ``result: null`` and ``errors: [{code, message}]`` on
  failure, and none is ever a 500.

A purge reaches every PoP at once ("Deletes cached content in every Cloudflare data center"):
hard purges drop entries, soft ones mark them invalidated (``CF-Cache-Status: STALE``, see
:mod:`emulator.runtime.cache`). With Tiered Cache on, it reaches the upper tier too
(:mod:`emulator.uppertier`), counted under ``UPPER`` beside the colos: anything with the
``PurgeTarget`` methods can be purged. Each accepted purge is kept in a ``PurgeLog`` (the last
1000), served at ``GET PURGES_ENDPOINT`` and passed to the ``on_purge`` observers.

Error codes: 1012, 1013, 1014, 1092, 1094, 1100, 1101, 1111, 1114 and 1115 are Cloudflare's
legacy purge codes; 1011 (body not a JSON object), 1015 (bad item), 1016 (unknown member),
1082 (bad URL, after the legacy "Unable to purge"), 1131 (too many prefixes) and 7001 (method)
are this emulator's choices.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aiohttp import web

from .bodies import TooLarge, read_within
from .clock import Clock
from .purgelimit import PURGE_PLANS, PurgeLimiter, PurgePlan, Verdict
from .runtime.cache_http import normalize_url
from .runtime.purgematch import parse_purge_host, parse_purge_prefix

__all__ = [
    "DEV_API_TOKEN",
    "DEV_ZONE_ID",
    "PRODUCTION_API_BASE",
    "PURGES_ENDPOINT",
    "PURGE_API_PATH",
    "SELECTORS",
    "PurgeApi",
    "PurgeApiError",
    "PurgeLog",
    "PurgeRecord",
    "PurgeRequest",
    "PurgeSettings",
    "PurgeTarget",
    "apply_purge",
    "parse_purge_body",
    "purges_response",
]

log = logging.getLogger("popcache.purge")

PURGE_API_PATH = "/cdn-cgi/popcache/client/v4"
"""The emulator's stand-in for ``PRODUCTION_API_BASE`` on its front door."""
PRODUCTION_API_BASE = "https://api.cloudflare.com/client/v4"
PURGES_ENDPOINT = "/cdn-cgi/popcache/purges"
DEV_ZONE_ID = "popcache-dev-zone"
DEV_API_TOKEN = "popcache-dev-api-token"
SELECTORS = ("files", "tags", "hosts", "prefixes", "purge_everything")
"""The body members that say what to purge, exactly one a request."""

LOG_SIZE = 1000
LOGGED_VALUES = 100
MAX_BODY = 1024 * 1024
"""Largest request body read (500 files with headers fit many times over)."""
MAX_TAG_LENGTH = 1024  # purge-by-tags: "maximum 1,024 characters for a single tag"
MAX_HOST_LENGTH = 200  # legacy error 1114
MAX_PREFIX_SEPARATORS = 31  # purge-by-prefix: "Path separators are limited to 31"
_ENDPOINTS = ("purge_cache", "invalidate_cache")
_ROUTE = re.compile(r"/zones/([^/]+)/([a-z_]+)/?")
_LIMITS = {"files": 1094, "tags": 1101, "hosts": 1111, "prefixes": 1131}


@dataclass(frozen=True, slots=True)
class PurgeSettings:
    """The zone the emulated API serves, the token it accepts, and the plan it limits as."""

    zone_id: str = DEV_ZONE_ID
    token: str = DEV_API_TOKEN
    plan: str = "pro"

    def __post_init__(self) -> None:
        if self.plan not in PURGE_PLANS:
            raise ValueError(
                f"unknown purge plan {self.plan!r} (expected one of {', '.join(PURGE_PLANS)})"
            )
        if not self.zone_id or "/" in self.zone_id:
            raise ValueError("the purge zone id must be a non-empty string without '/'")
        if not self.token:
            raise ValueError("the purge API token must not be empty")


class PurgeApiError(Exception):
    """A refused API call: the HTTP status and Cloudflare's ``{code, message}``."""

    def __init__(
        self, status: int, code: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def _bad(code: int, message: str) -> PurgeApiError:
    return PurgeApiError(400, code, message)


@dataclass(frozen=True, slots=True)
class PurgeRequest:
    """A valid body: which selector, its values (URLs for ``files``), and hard or soft."""

    selector: str
    values: tuple[str, ...]
    soft: bool = False

    @property
    def mode(self) -> Literal["hard", "soft"]:
        return "soft" if self.soft else "hard"


def parse_purge_body(body: bytes, plan: PurgePlan, *, soft: bool = False) -> PurgeRequest:
    """The purge request in ``body`` (``soft``: it came to ``invalidate_cache``); a 400
    ``PurgeApiError`` naming the member at fault otherwise."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, deep nesting
        raise _bad(1011, "the request body must be a JSON object") from None
    if not isinstance(document, dict):
        raise _bad(1011, "the request body must be a JSON object")
    allowed = (*SELECTORS, "soft") if not soft else SELECTORS
    for name in document:
        if name not in allowed:
            hint = " ('soft' is only for purge_cache)" if name == "soft" else ""
            raise _bad(1016, f"unknown member {name!r} in the request body{hint}")
    if "soft" in document:
        if not isinstance(document["soft"], bool):
            raise _bad(1015, "'soft' must be true or false")
        soft = document["soft"]
    chosen = [name for name in SELECTORS if name in document]
    if not chosen:
        raise _bad(
            1012,
            'Request must contain one of "purge_everything", "files", "tags", "hosts" or '
            '"prefixes"',
        )
    if len(chosen) > 1:
        raise _bad(
            1092,
            f"Request cannot contain more than one of {', '.join(map(repr, SELECTORS))}: "
            f"got {', '.join(map(repr, chosen))}",
        )
    (selector,) = chosen
    value = document[selector]
    if selector == "purge_everything":
        if value is not True:
            raise _bad(1013, "'purge_everything' must be true")
        return PurgeRequest(selector, (), soft)
    if not isinstance(value, list) or not value:
        raise _bad(1014, f"{selector!r} must be a non-empty array")
    limit = plan.max_files if selector == "files" else plan.max_items
    if len(value) > limit:
        raise _bad(
            _LIMITS[selector],
            f"Exceeded maximum amount of {limit} {selector} per request: "
            f"{selector!r} has {len(value)}",
        )
    check = _ITEM_CHECKS[selector]
    return PurgeRequest(
        selector,
        tuple(check(item, f"{selector}[{index}]") for index, item in enumerate(value)),
        soft,
    )


def _string(item: object, where: str) -> str:
    if not isinstance(item, str) or not item.strip():
        raise _bad(1015, f"{where} must be a non-empty string")
    return item


def _file(item: object, where: str) -> str:
    if isinstance(item, dict):
        for name in item:
            if name not in ("url", "headers"):
                raise _bad(1016, f"unknown member {name!r} in {where} (expected url, headers)")
        if "url" not in item:
            raise _bad(1015, f"{where}.url is missing")
        headers = item.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(value, str) for value in headers.values()
        ):
            raise _bad(1015, f"{where}.headers must be an object of strings")
        url = _string(item["url"], f"{where}.url")
        where = f"{where}.url"
    else:
        url = _string(item, where)
    try:
        normalize_url(url)
    except TypeError:
        raise _bad(
            1082, f"Unable to purge {url!r} ({where}): not an absolute http(s) URL"
        ) from None
    return url


def _tag(item: object, where: str) -> str:
    tag = _string(item, where)
    if len(tag) > MAX_TAG_LENGTH:
        raise _bad(1100, f"{where}: Tag exceeds maximum length of {MAX_TAG_LENGTH} characters")
    return tag


def _host(item: object, where: str) -> str:
    host = _string(item, where)
    if len(host) > MAX_HOST_LENGTH:
        raise _bad(1114, f"{where}: Host exceeds maximum length of {MAX_HOST_LENGTH} characters")
    try:
        parse_purge_host(host)
    except TypeError as exc:
        raise _bad(1115, f"{where}: Invalid host: {exc}") from None
    return host


def _prefix(item: object, where: str) -> str:
    prefix = _string(item, where)
    try:
        _, _, path = parse_purge_prefix(prefix)
    except TypeError as exc:
        raise _bad(1015, f"{where}: {exc}") from None
    if path.count("/") > MAX_PREFIX_SEPARATORS:
        raise _bad(1015, f"{where}: a prefix has at most {MAX_PREFIX_SEPARATORS} path separators")
    return prefix


_ITEM_CHECKS: dict[str, Callable[[object, str], str]] = {
    "files": _file,
    "tags": _tag,
    "hosts": _host,
    "prefixes": _prefix,
}


class PurgeTarget(Protocol):
    """What a purge reaches: a PoP's ``CacheStorage``, or the upper tier. Each method drops
    the matching entries, or with ``soft`` marks them invalidated, and returns how many live
    ones it touched."""

    def purge_everything(self, *, soft: bool = False) -> int: ...
    def purge_urls(self, urls: Iterable[str], *, soft: bool = False) -> int: ...
    def purge_tags(self, tags: Iterable[str], *, soft: bool = False) -> int: ...
    def purge_hosts(self, hosts: Iterable[str], *, soft: bool = False) -> int: ...
    def purge_prefixes(self, prefixes: Iterable[str], *, soft: bool = False) -> int: ...


def apply_purge(purge: PurgeRequest, caches: PurgeTarget) -> int:
    """Apply ``purge`` to one PoP's caches (or the upper tier); how many live entries it
    dropped or marked."""
    if purge.selector == "purge_everything":
        return caches.purge_everything(soft=purge.soft)
    return _BY_SELECTOR[purge.selector](caches, purge.values, purge.soft)


_Apply = Callable[[PurgeTarget, tuple[str, ...], bool], int]
_BY_SELECTOR: dict[str, _Apply] = {
    "files": lambda target, values, soft: target.purge_urls(values, soft=soft),
    "tags": lambda target, values, soft: target.purge_tags(values, soft=soft),
    "hosts": lambda target, values, soft: target.purge_hosts(values, soft=soft),
    "prefixes": lambda target, values, soft: target.purge_prefixes(values, soft=soft),
}


@dataclass(frozen=True, slots=True)
class PurgeRecord:
    """One accepted purge, as the log keeps it."""

    time: float
    """When it was applied, seconds since the epoch (the emulator's clock)."""
    zone: str
    mode: Literal["hard", "soft"]
    selector: str
    values: tuple[str, ...]
    """The first ``LOGGED_VALUES`` values (none for ``purge_everything``)."""
    value_count: int
    affected: int
    """Live entries dropped (hard) or marked stale (soft), over every PoP and the upper tier."""
    pops: Mapping[str, int] = field(default_factory=dict)
    """The same count per PoP, and the upper tier's under ``UPPER`` when it is on."""

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "zone": self.zone,
            "mode": self.mode,
            "selector": self.selector,
            "values": list(self.values),
            "value_count": self.value_count,
            "affected": self.affected,
            "pops": dict(self.pops),
        }


class PurgeLog:
    """The last ``size`` purges, how many there were, and who is told of each."""

    def __init__(self, size: int = LOG_SIZE) -> None:
        self._records: deque[PurgeRecord] = deque(maxlen=size)
        self.count = 0
        """Purges recorded since the emulator started."""
        self.on_purge: list[Callable[[PurgeRecord], None]] = []
        """Observers, called with each record; one that raises is logged and skipped."""

    def __len__(self) -> int:
        return len(self._records)

    @property
    def size(self) -> int:
        """The most purges kept."""
        return self._records.maxlen or 0

    def add(self, record: PurgeRecord) -> None:
        self._records.append(record)
        self.count += 1
        for observer in list(self.on_purge):
            try:
                observer(record)
            except Exception:
                log.exception("a purge observer failed on %s", record)

    def records(self) -> list[PurgeRecord]:
        """The purges kept, newest first."""
        return list(reversed(self._records))

    def to_json(self) -> dict[str, Any]:
        return {"purges": [record.to_json() for record in self.records()], "count": self.count}


class PurgeApi:
    """``POST .../zones/{zone}/purge_cache`` and ``invalidate_cache`` for one emulated zone."""

    def __init__(
        self,
        settings: PurgeSettings,
        caches: Callable[[], Mapping[str, PurgeTarget]],
        clock: Clock,
        purges: PurgeLog,
    ) -> None:
        """``caches`` gives every PoP's ``CacheStorage`` by colo (and the upper tier, under
        ``UPPER``) when a purge is applied."""
        self.settings = settings
        self.limiter = PurgeLimiter(PURGE_PLANS[settings.plan], clock)
        self.purges = purges
        self._caches = caches
        self._clock = clock

    def configure(self, settings: PurgeSettings) -> None:
        """Serve another zone, token or plan from now on (a full token bucket)."""
        self.settings = settings
        self.limiter = PurgeLimiter(PURGE_PLANS[settings.plan], self._clock)

    async def handle(self, request: web.BaseRequest) -> web.Response:
        """Answer one request under ``PURGE_API_PATH``: always the API's JSON envelope."""
        try:
            return await self._handle(request)
        except PurgeApiError as error:
            return _envelope(
                error.status,
                None,
                [{"code": error.code, "message": error.message}],
                error.headers,
            )

    async def _handle(self, request: web.BaseRequest) -> web.Response:
        route = _ROUTE.fullmatch(request.path.removeprefix(PURGE_API_PATH))
        if route is None or route[2] not in _ENDPOINTS:
            raise PurgeApiError(404, 7003, "No route for the URI")
        zone, endpoint = route[1], route[2]
        if request.method != "POST":
            raise PurgeApiError(
                405,
                7001,
                f"Method {request.method} not allowed: {endpoint} takes POST",
                {"Allow": "POST"},
            )
        if not self._authorized(request.headers.get("Authorization", "")):
            raise PurgeApiError(403, 10000, "Authentication error")
        if zone != self.settings.zone_id:
            raise PurgeApiError(
                404,
                7003,
                f"Could not route to /zones/{zone}/{endpoint}, perhaps your object identifier "
                "is invalid?",
            )
        purge = parse_purge_body(
            await _read_body(request),
            self.limiter.plan,
            soft=endpoint == "invalidate_cache",
        )
        verdict = self.limiter.take(len(purge.values) if purge.selector == "files" else 0)
        headers = _ratelimit_headers(verdict)
        if verdict is not None and not verdict.allowed:
            headers["Retry-After"] = str(verdict.retry_after)
            raise PurgeApiError(
                429, 971, "Please wait and consider throttling your request speed", headers
            )
        self.apply(purge)
        return _envelope(200, {"id": self.settings.zone_id}, [], headers)

    def apply(self, purge: PurgeRequest) -> PurgeRecord:
        """Apply ``purge`` to every PoP now and log it (no auth, no rate limit)."""
        pops = {colo: apply_purge(purge, caches) for colo, caches in self._caches().items()}
        record = PurgeRecord(
            time=self._clock.now(),
            zone=self.settings.zone_id,
            mode=purge.mode,
            selector=purge.selector,
            values=purge.values[:LOGGED_VALUES],
            value_count=len(purge.values),
            affected=sum(pops.values()),
            pops=pops,
        )
        log.info(
            "%s purge by %s (%d value(s)): %d entr%s on %d PoP(s)",
            record.mode,
            record.selector,
            record.value_count,
            record.affected,
            "y" if record.affected == 1 else "ies",
            len(pops),
        )
        self.purges.add(record)
        return record

    def _authorized(self, authorization: str) -> bool:
        scheme, _, token = authorization.strip().partition(" ")
        # surrogatepass: aiohttp hands over bytes that are not UTF-8 as lone surrogates.
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode("utf-8", "surrogatepass"), self.settings.token.encode()
        )


def _ratelimit_headers(verdict: Verdict | None) -> dict[str, str]:
    if verdict is None:
        return {}
    name = f'"{verdict.policy}"'
    return {
        "Ratelimit": f"{name};r={verdict.remaining};t={verdict.full_in}",
        "Ratelimit-Policy": f"{name};q={verdict.capacity};w={verdict.window}",
    }


def _envelope(
    status: int,
    result: dict[str, Any] | None,
    errors: list[dict[str, Any]],
    headers: Mapping[str, str],
) -> web.Response:
    body = {"success": not errors, "errors": errors, "messages": [], "result": result}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Cache-Control": "no-store", **headers},
    )


async def _read_body(request: web.BaseRequest) -> bytes:
    try:
        return await read_within(request, MAX_BODY)
    except TooLarge:
        raise PurgeApiError(
            413, 1011, f"the request body is larger than {MAX_BODY // 1024} KiB"
        ) from None


def purges_response(purges: PurgeLog) -> web.Response:
    """``GET PURGES_ENDPOINT``: the log, newest first, and the count since start."""
    return web.Response(
        body=json.dumps(purges.to_json()).encode(),
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
