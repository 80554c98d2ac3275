"""City promotions: when a city's shoppers arrive at once, and what the edge warms before.

A promotion opens at a time, and its city's shoppers arrive together: the product pages and
prices they will ask for must be in the cache by then, fetched within an origin budget rather
than all at the first request (docs/promotions.md). When and what is data the storefront owns,
shipped in the bundle as ``edge/promotions.toml``; the same document may come as JSON from KV,
so both readers share one validator over the parsed mapping.

The loaders refuse a document whole, with one line naming the file, the promotion and the key:
a mistake found at deploy is a mistake that does not surface as a cold cache at the opening.
What can only be known at run time (a promotion that has ended since) is :func:`skippable`'s.
Pure: the caller reads the text and passes the time.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import jsonbounds
from batchsafety import MAX_URL, refuse_url
from routesyntax import (
    MAX_DURATION,
    RoutesError,
    check_keys,
    describe,
    expect_string,
    expect_table,
    parse_duration,
)
from tags import MAX_TAG_BYTES

__all__ = [
    "DEFAULT_LEAD",
    "MAX_BUDGET",
    "MAX_LEAD",
    "MAX_PROMOTIONS",
    "MAX_TARGETS",
    "MAX_WINDOWS",
    "MIN_LEAD",
    "VIEWS_PREFIX",
    "Promotion",
    "Promotions",
    "PromotionsError",
    "Window",
    "load_promotions_json",
    "load_promotions_toml",
    "skippable",
]

DEFAULT_LEAD = 600.0
"""How long before an opening warming starts when ``lead`` is not given: 10 minutes."""
MIN_LEAD = 60.0
"""The shortest lead: the warming cron runs once a minute, so a shorter lead could fall
between two runs and never be seen."""
MAX_LEAD = 86_400.0
"""The longest lead, a day: warmed any earlier, an entry is likely to expire before use."""
MAX_BUDGET = 100_000
"""The most origin requests a minute one promotion's warming may be given."""
MAX_PROMOTIONS = 1000
"""Promotions in one document."""
MAX_WINDOWS = 1000
"""Fulfillment windows in one promotion."""
MAX_TARGETS = 10_000
"""URLs and views in one promotion."""
VIEWS_PREFIX = "/_edge/views/"
"""Where a view is fetched: ``views = ["pdp?sku=X"]`` warms ``/_edge/views/pdp?sku=X``."""

_KEYS = (
    "city",
    "zone",
    "at",
    "starts",
    "ends",
    "windows",
    "lead",
    "budget",
    "urls",
    "views",
    "tag",
)
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_CITY = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_ZONE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # as zonefile's zone ids
_VIEW = re.compile(r"([a-z0-9][a-z0-9-]*)(?:\?(.*))?", re.DOTALL)
_QUERY = re.compile(r"[!-\"$-~]+")  # printable ASCII without space or '#'
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)  # RFC 3339 §5.6 date-time, "T" and "Z" in either case (§5.6 NOTE); upper-cased first
# ISO 8601 durations in days, hours, minutes and seconds: P1D, PT2H, PT1H30M, PT90S.
_ISO_DURATION = re.compile(
    r"P(?:([0-9]+)D)?(?:T(?=[0-9])(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?"
)
# What a Cache-Tag value cannot carry (tags.py drops such a tag): commas, whitespace, control
# characters (C0, DEL, C1) and lone surrogates.
_UNUSABLE_TAG = re.compile(r"[,\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_DEPTH = 8  # {"promotions": {name: {"windows": [...]}}} nests 4 deep
_SHOWN = 40  # characters of a string a message quotes


class PromotionsError(RoutesError):
    """A promotions document is invalid; ``str()`` is one line:
    ``<source>: [promotions.<name>]: key '<key>': <problem>``."""


@dataclass(frozen=True, slots=True)
class Window:
    """A fulfillment window: shoppers arrive from ``start`` to ``end`` (epoch seconds)."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Promotion:
    """One ``[promotions.<name>]`` table, defaults filled in and times in epoch seconds."""

    name: str
    city: str | None
    """The city whose shoppers it is for, or None when it is for a zone."""
    zone: str | None
    """The zone whose shoppers it is for, or None when it is for a city."""
    starts: float
    ends: float | None
    """When it ends, or None when it runs on."""
    windows: tuple[Window, ...]
    """Its fulfillment windows, earliest first; they do not overlap."""
    lead: float
    """Seconds before ``starts`` and each window's start that warming begins."""
    budget: int
    """Origin requests a minute its warming may make."""
    urls: tuple[str, ...]
    """Storefront paths (and queries) to warm, under the edge's batch prefixes."""
    views: tuple[str, ...]
    """Views to warm, as ``<name>`` or ``<name>?<query>`` under ``/_edge/views/``."""
    tag: str
    """The cache tag the warmed entries carry, so the promotion's entries purge together."""
    at: tuple[float, float] | None = None
    """Where a shopper of the promotion stands (latitude, longitude): warming fetches as one
    placed there, so the entries land under the keys that shopper's zone and city give."""

    @property
    def place(self) -> str:
        """``city '<id>'`` or ``zone '<id>'``, as messages name it."""
        return f"city {self.city!r}" if self.city is not None else f"zone {self.zone!r}"


@dataclass(frozen=True, slots=True)
class Promotions:
    """A document's promotions, in its order."""

    items: tuple[Promotion, ...] = ()

    def __iter__(self) -> Iterator[Promotion]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def load_promotions_toml(
    text: str,
    source: str,
    *,
    prefixes: Collection[str],
    now: float | None = None,
    known_views: Collection[str] | None = None,
) -> Promotions:
    """The promotions of the TOML ``text`` (named ``source`` in errors).

    ``prefixes`` are the paths a URL must be under (the edge's ``[batch] prefixes``); with
    ``now``, a promotion entirely in the past is refused; with ``known_views`` (the names in
    ``routes.toml``), a view not among them is refused. PromotionsError on the first problem.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromotionsError(f"{source}: not TOML: {_one_line(exc)}") from None
    return _checked(document, source, prefixes, now, known_views)


def load_promotions_json(
    text: str,
    source: str,
    *,
    prefixes: Collection[str],
    now: float | None = None,
    known_views: Collection[str] | None = None,
) -> Promotions:
    """The promotions of the JSON ``text``, the same document as :func:`load_promotions_toml`
    reads (as KV holds it); the same checks."""
    try:
        document = jsonbounds.load(text, limit=_JSON_DEPTH)
    except ValueError as exc:
        raise PromotionsError(f"{source}: not JSON: {_one_line(exc)}") from None
    return _checked(document, source, prefixes, now, known_views)


def skippable(promotion: Promotion, now: float) -> str | None:
    """Why the cron at ``now`` has nothing to warm for ``promotion``, or None when it may.

    The loaders refuse a promotion entirely in the past, but one loaded before it ended is
    still in the document when the cron runs after; it is skipped, not an error.
    """
    if promotion.ends is not None and promotion.ends <= now:
        return "ended"
    if promotion.starts < now and all(window.start < now for window in promotion.windows):
        return "all windows past" if promotion.windows else "started, no windows"
    return None


def _checked(
    document: object,
    source: str,
    prefixes: Collection[str],
    now: float | None,
    known_views: Collection[str] | None,
) -> Promotions:
    try:
        return _promotions(document, source, tuple(prefixes), now, known_views)
    except PromotionsError:
        raise
    except RoutesError as exc:  # routesyntax's parsers raise their own error
        raise PromotionsError(str(exc)) from None


def _promotions(
    document: object,
    source: str,
    prefixes: tuple[str, ...],
    now: float | None,
    known_views: Collection[str] | None,
) -> Promotions:
    root = expect_table(document, source)
    check_keys(root, ("promotions",), source)
    table = expect_table(root.get("promotions", {}), f"{source}: [promotions]")
    if len(table) > MAX_PROMOTIONS:
        raise PromotionsError(
            f"{source}: [promotions]: {len(table)} promotions, more than the {MAX_PROMOTIONS} "
            "allowed"
        )
    items: list[Promotion] = []
    for name, value in table.items():
        if _NAME.fullmatch(name) is None:
            raise PromotionsError(
                f"{source}: [promotions]: {_show(name)} is not a promotion name: lower-case "
                "letters, digits and '-', at most 64, starting with a letter or digit"
            )
        where = f"{source}: [promotions.{name}]"
        promotion = _promotion(name, value, where, prefixes, known_views)
        if now is not None and (past := _past(promotion, now)) is not None:
            raise PromotionsError(f"{where}: in the past: {past} (now is {_iso(now)})")
        items.append(promotion)
    _refuse_overlaps(items, source)
    return Promotions(tuple(items))


def _promotion(
    name: str,
    value: object,
    where: str,
    prefixes: tuple[str, ...],
    known_views: Collection[str] | None,
) -> Promotion:
    table = expect_table(value, where)
    check_keys(table, _KEYS, where)
    city, zone = _place(table, where)
    starts = _instant(table.get("starts"), f"{where}: key 'starts'")
    ends = None
    if "ends" in table:
        ends = _instant(table["ends"], f"{where}: key 'ends'")
        if ends <= starts:
            raise PromotionsError(
                f"{where}: key 'ends': {_iso(ends)} is not after starts ({_iso(starts)})"
            )
    windows = _windows(table.get("windows", []), starts, ends, where)
    lead = DEFAULT_LEAD
    if "lead" in table:
        lead = parse_duration(table["lead"], f"{where}: key 'lead'")
        if not MIN_LEAD <= lead <= MAX_LEAD:
            raise PromotionsError(
                f"{where}: key 'lead': must be from 1m (the cron runs once a minute) to 1d, "
                f"got {_show(table['lead'])}"
            )
    urls = _list(table.get("urls", []), f"{where}: key 'urls'")
    for index, url in enumerate(urls):
        if (reason := refuse_url(url, prefixes)) is not None:
            raise PromotionsError(f"{where}: key 'urls[{index}]': {_show(url)}: {reason}")
    names = _list(table.get("views", []), f"{where}: key 'views'")
    for index, view in enumerate(names):
        _check_view(view, known_views, f"{where}: key 'views[{index}]'")
    count = len(dict.fromkeys([*urls, *(VIEWS_PREFIX + view for view in names)]))
    if count == 0:
        raise PromotionsError(f"{where}: key 'urls': nothing to warm: give 'urls' or 'views'")
    if count > MAX_TARGETS:
        raise PromotionsError(
            f"{where}: key 'urls': {count} URLs and views, more than the {MAX_TARGETS} allowed"
        )
    budget = _budget(table.get("budget"), count, lead, f"{where}: key 'budget'")
    tag = _tag(table.get("tag", f"promo:{name}"), f"{where}: key 'tag'")
    at = _at(table["at"], f"{where}: key 'at'") if "at" in table else None
    return Promotion(name, city, zone, starts, ends, windows, lead, budget, urls, names, tag, at)


def _at(value: object, where: str) -> tuple[float, float]:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
        and -90 <= value[0] <= 90
        and -180 <= value[1] <= 180
    ):
        return float(value[0]), float(value[1])
    raise PromotionsError(
        f"{where}: expected [latitude, longitude] on the globe, got {describe(value)}"
    )


def _place(table: Mapping[str, object], where: str) -> tuple[str | None, str | None]:
    if "city" in table and "zone" in table:
        raise PromotionsError(f"{where}: key 'zone': give 'city' or 'zone', not both")
    if "city" in table:
        city = expect_string(table["city"], f"{where}: key 'city'")
        if _CITY.fullmatch(city) is None:
            raise PromotionsError(
                f"{where}: key 'city': {_show(city)} is not a city id: lower-case letters, "
                "digits and '-'"
            )
        return city, None
    if "zone" in table:
        zone = expect_string(table["zone"], f"{where}: key 'zone'")
        if _ZONE.fullmatch(zone) is None:
            raise PromotionsError(
                f"{where}: key 'zone': {_show(zone)} is not a zone id: lower-case letters, "
                "digits, '.', '_' and '-'"
            )
        return None, zone
    raise PromotionsError(f"{where}: key 'city': missing (give 'city' or 'zone')")


def _instant(value: object, where: str) -> float:
    """Epoch seconds of an RFC 3339 date-time with an offset, given as a string."""
    if value is None:
        raise PromotionsError(f"{where}: missing (an RFC 3339 date-time with an offset)")
    if isinstance(value, datetime):
        raise PromotionsError(
            f'{where}: quote the date-time ("{value.isoformat()}"): the same document must '
            "travel as JSON, which has no date-times"
        )
    text = value.upper() if isinstance(value, str) else ""
    if _INSTANT.fullmatch(text) is None:
        raise PromotionsError(
            f"{where}: expected an RFC 3339 date-time with an offset such as "
            f"'2026-12-01T10:00:00-08:00', got {_show(value)}"
        )
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError) as exc:
        raise PromotionsError(f"{where}: {_show(value)} is no valid date-time: {exc}") from None


def _windows(value: object, starts: float, ends: float | None, where: str) -> tuple[Window, ...]:
    """The fulfillment windows of the promotion at ``where``, earliest first."""
    items = _list(value, f"{where}: key 'windows'")
    if len(items) > MAX_WINDOWS:
        raise PromotionsError(
            f"{where}: key 'windows': {len(items)} windows, more than the {MAX_WINDOWS} allowed"
        )
    windows = [_window(item, f"{where}: key 'windows[{i}]'") for i, item in enumerate(items)]
    for index, window in enumerate(windows):
        at = f"{where}: key 'windows[{index}]'"
        if window.start < starts:
            raise PromotionsError(
                f"{at}: opens at {_iso(window.start)}, before the promotion starts ({_iso(starts)})"
            )
        if ends is not None and window.end > ends:
            raise PromotionsError(
                f"{at}: closes at {_iso(window.end)}, after the promotion ends ({_iso(ends)})"
            )
    order = sorted(range(len(windows)), key=lambda index: (windows[index].start, index))
    for before, after in itertools.pairwise(order):
        if windows[after].start < windows[before].end:
            first, second = sorted((before, after))
            raise PromotionsError(
                f"{where}: key 'windows[{second}]': overlaps windows[{first}] "
                f"({_iso(windows[first].start)} to {_iso(windows[first].end)})"
            )
    return tuple(windows[index] for index in order)


def _window(value: object, where: str) -> Window:
    """``<start>/<end>`` or ``<start>/<ISO 8601 duration>`` (RFC 3339 start)."""
    text = expect_string(value, where)
    start_text, slash, rest = text.partition("/")
    if not slash:
        raise PromotionsError(
            f"{where}: expected '<start>/<duration>' or '<start>/<end>' such as "
            f"'2026-12-01T10:00:00-08:00/PT2H', got {_show(text)}"
        )
    start = _instant(start_text, where)
    if rest[:1] in ("P", "p"):
        found = _ISO_DURATION.fullmatch(rest.upper())
        if found is None or not any(found.groups()):
            raise PromotionsError(
                f"{where}: expected an ISO 8601 duration such as 'PT2H' or 'PT1H30M' after "
                f"'/', got {_show(rest)}"
            )
        days, hours, minutes, seconds = (float(part or 0) for part in found.groups())
        length = days * 86_400 + hours * 3600 + minutes * 60 + seconds
        if length > MAX_DURATION:
            raise PromotionsError(f"{where}: {_show(rest)} is longer than a year")
        end = start + length
    else:
        end = _instant(rest, where)
    if not end > start:
        raise PromotionsError(f"{where}: ends at {_iso(end)}, not after it starts ({_iso(start)})")
    return Window(start, end)


def _check_view(view: str, known: Collection[str] | None, where: str) -> None:
    found = _VIEW.fullmatch(view)
    if found is None:
        raise PromotionsError(
            f"{where}: expected '<name>' or '<name>?<query>' with a name of lower-case "
            f"letters, digits and '-', got {_show(view)}"
        )
    query = found[2]
    if query is not None and _QUERY.fullmatch(query) is None:
        raise PromotionsError(
            f"{where}: {_show(view)}: the query must be printable ASCII without spaces or '#' "
            "(percent-encode the rest), and not empty"
        )
    if len(VIEWS_PREFIX) + len(view) > MAX_URL:
        raise PromotionsError(f"{where}: longer than {MAX_URL} characters")
    if known is not None and found[1] not in known:
        listed = ", ".join(sorted(known)) or "none are configured"
        raise PromotionsError(f"{where}: no view {found[1]!r} in routes.toml ({listed})")


def _budget(value: object, count: int, lead: float, where: str) -> int:
    if value is None:
        raise PromotionsError(f"{where}: missing (origin requests a minute warming may make)")
    if type(value) is not int or not 1 <= value <= MAX_BUDGET:
        got = value if type(value) is int else describe(value)
        raise PromotionsError(
            f"{where}: expected an integer from 1 to {MAX_BUDGET} (origin requests a minute), "
            f"got {got}"
        )
    if count * 60 > lead * value:
        raise PromotionsError(
            f"{where}: {count} URLs and views at {value} a minute take {_span(count * 60 / value)}"
            f", longer than the lead of {_span(lead)}: raise the budget to at least "
            f"{math.ceil(count * 60 / lead)} or the lead to at least "
            f"{_span(math.ceil(count * 60 / value))}"
        )
    return value


def _tag(value: object, where: str) -> str:
    tag = expect_string(value, where)
    if _UNUSABLE_TAG.search(tag):
        raise PromotionsError(
            f"{where}: {_show(tag)} is not a cache tag: no commas, whitespace or control characters"
        )
    if len(tag.encode()) > MAX_TAG_BYTES:
        raise PromotionsError(f"{where}: longer than {MAX_TAG_BYTES} bytes (Cloudflare's limit)")
    if tag != tag.lower():
        raise PromotionsError(
            f"{where}: {_show(tag)}: write it in lower case (tags are compared "
            "case-insensitively and stored lower-cased)"
        )
    return tag


def _list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PromotionsError(f"{where}: expected an array of strings, got {describe(value)}")
    for item in value:
        if not isinstance(item, str):
            raise PromotionsError(
                f"{where}: expected an array of strings, found {describe(item)} in it"
            )
    return tuple(value)


def _past(promotion: Promotion, now: float) -> str | None:
    """What of ``promotion`` is past at ``now`` when all of it is, else None."""
    if promotion.ends is not None:
        return f"it ended at {_iso(promotion.ends)}" if promotion.ends < now else None
    last = max([promotion.starts, *(window.end for window in promotion.windows)])
    if last < now:
        return f"it started and its last window closed by {_iso(last)}"
    return None


def _refuse_overlaps(items: list[Promotion], source: str) -> None:
    """Two promotions for one city or zone whose periods overlap: their warming budgets would
    add up at the origin, and shoppers would see two prices for one period."""
    groups: dict[tuple[str | None, str | None], list[Promotion]] = {}
    for promotion in items:
        groups.setdefault((promotion.city, promotion.zone), []).append(promotion)
    position = {promotion.name: index for index, promotion in enumerate(items)}
    for group in groups.values():
        group.sort(key=lambda promotion: (promotion.starts, position[promotion.name]))
        latest = group[0]  # the one ending last among those seen
        for promotion in group[1:]:
            if promotion.starts < _end(latest):
                first, second = sorted((latest, promotion), key=lambda p: position[p.name])
                raise PromotionsError(
                    f"{source}: [promotions.{second.name}]: key 'starts': overlapping "
                    f"promotions {first.name!r} ({_period(first)}) and {second.name!r} "
                    f"({_period(second)}) for {second.place}"
                )
            if _end(promotion) > _end(latest):
                latest = promotion


def _end(promotion: Promotion) -> float:
    return math.inf if promotion.ends is None else promotion.ends


def _period(promotion: Promotion) -> str:
    ends = "on" if promotion.ends is None else _iso(promotion.ends)
    return f"{_iso(promotion.starts)} to {ends}"


# Messages


def _iso(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):  # beyond year 9999
        return f"{seconds:.0f} (epoch seconds)"


def _span(seconds: float) -> str:
    """``seconds`` as ``1h2m3s``; fractions of a second to the millisecond."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    fraction = round(seconds - whole, 3)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    if secs or fraction or not (hours or minutes):
        parts.append(f"{secs + fraction:g}s")
    return "".join(parts)


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")
    return describe(value)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
