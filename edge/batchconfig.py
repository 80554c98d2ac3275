"""``[batch]`` in ``routes.toml``: the limits and permissions of ``POST /_edge/batch``.

Limits are data so an operator can read and change them in one place (docs/batch.md); the
defaults follow Microsoft Graph's JSON batching (20 items) and the Workers Free plan's
subrequest budget, which is the one a Worker gets unless its plan says more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from batchsafety import EDGE_PREFIX
from routesyntax import (
    RoutesError,
    check_keys,
    describe,
    expect_string,
    expect_table,
    parse_integer,
)

__all__ = ["PLAN_SUBREQUESTS", "BatchSettings", "parse_batch"]

PLAN_SUBREQUESTS = {"free": 50, "paid": 10_000}
"""Subrequests one invocation may make, by Workers plan (developers.cloudflare.com/workers/
platform/limits/); ``subrequests`` overrides it for a plan with a custom limit."""

_KEYS = (
    "prefixes",
    "max_items",
    "max_body",
    "max_depth",
    "concurrency",
    "plan",
    "subrequests",
    "credentials",
)
_SIZE = re.compile(r"([0-9]+)(B|KiB|MiB)")
_SIZE_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}
_MAX_BODY = 100 * 1024 * 1024  # Cloudflare's smallest plan-wide request body limit
_PREFIX = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]+/)*")
_CREDENTIALS = ("cookie", "authorization")


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """The ``[batch]`` table, defaults filled in."""

    prefixes: tuple[str, ...] = ("/api/",)
    """Path prefixes an item's URL must start with; each starts and ends with ``/``."""
    max_items: int = 20
    """Items per batch, as Microsoft Graph allows."""
    max_body: int = 1024 * 1024
    """Bytes of the batch request body."""
    max_depth: int = 5
    """The longest ``dependsOn`` chain: an item depending on one that depends on none is 1."""
    concurrency: int = 20
    """Items in progress at once. On Cloudflare at most six subrequests wait for response
    headers at a time and the runtime queues the rest (docs/batch.md)."""
    subrequests: int = PLAN_SUBREQUESTS["free"]
    """Origin fetches one batch may make; the items past it answer 429."""
    credentials: frozenset[str] = frozenset()
    """Which of the batch's own ``cookie`` and ``authorization`` fields items inherit; an item
    with either is never looked up in or stored to the cache."""


def parse_batch(value: object, where: str) -> BatchSettings:
    """The ``[batch]`` table ``value``; RoutesError naming ``where`` and the key."""
    table = expect_table(value, where)
    check_keys(table, _KEYS, where)
    base = BatchSettings()
    if "plan" in table and "subrequests" in table:
        raise RoutesError(f"{where}: key 'subrequests': give 'plan' or 'subrequests', not both")
    subrequests = base.subrequests
    if "plan" in table:
        subrequests = _plan(table["plan"], f"{where}: key 'plan'")
    elif "subrequests" in table:
        subrequests = parse_integer(
            table["subrequests"], f"{where}: key 'subrequests'", 1, 10_000_000
        )
    max_items = _int(table, "max_items", where, base.max_items, 1, 1000)
    return BatchSettings(
        prefixes=_prefixes(table.get("prefixes", list(base.prefixes)), f"{where}: key 'prefixes'"),
        max_items=max_items,
        max_body=_size(table, "max_body", where, base.max_body),
        max_depth=_int(table, "max_depth", where, base.max_depth, 1, 1000),
        concurrency=_int(table, "concurrency", where, base.concurrency, 1, 1000),
        subrequests=subrequests,
        credentials=_credentials(table.get("credentials", []), f"{where}: key 'credentials'"),
    )


def _int(
    table: Mapping[str, object], key: str, where: str, default: int, low: int, high: int
) -> int:
    if key not in table:
        return default
    return parse_integer(table[key], f"{where}: key {key!r}", low, high)


def _plan(value: object, where: str) -> int:
    plan = expect_string(value, where)
    if plan not in PLAN_SUBREQUESTS:
        raise RoutesError(f"{where}: expected 'free' or 'paid', got {plan!r}")
    return PLAN_SUBREQUESTS[plan]


def _size(table: Mapping[str, object], key: str, where: str, default: int) -> int:
    if key not in table:
        return default
    value, where = table[key], f"{where}: key {key!r}"
    if isinstance(value, str) and (found := _SIZE.fullmatch(value)) is not None:
        size = int(found[1]) * _SIZE_UNITS[found[2]]
    elif type(value) is int:
        size = value
    else:
        raise RoutesError(
            f"{where}: expected a size such as '64KiB' or '1MiB', or a number of bytes, "
            f"got {describe(value)}"
        )
    if not 1024 <= size <= _MAX_BODY:
        raise RoutesError(f"{where}: must be from 1KiB to 100MiB, got {value!r}")
    return size


def _prefixes(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RoutesError(f"{where}: expected an array of strings, got {describe(value)}")
    for prefix in value:
        if _PREFIX.fullmatch(prefix) is None or "/./" in prefix or "/../" in prefix:
            raise RoutesError(
                f"{where}: {prefix!r} is not a path prefix: it must start and end with '/', "
                "with no empty, '.' or '..' segments and no '%', '?' or '#'"
            )
        if prefix.startswith(EDGE_PREFIX):
            raise RoutesError(f"{where}: {prefix!r} is the edge's own: batches do not nest")
    return tuple(value)


def _credentials(value: object, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RoutesError(f"{where}: expected an array of strings, got {describe(value)}")
    names = frozenset(item.lower() for item in value)
    unknown = sorted(names - set(_CREDENTIALS))
    if unknown:
        raise RoutesError(f"{where}: expected 'cookie' and/or 'authorization', got {unknown[0]!r}")
    return names
