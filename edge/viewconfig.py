"""``[views.<name>]`` in ``routes.toml``: named compositions served at ``/_edge/views/<name>``.

A view names its query parameters (each with the pattern its values must match), its parts
(storefront URLs with ``{param}`` placeholders), an optional JSON template over them, and a
budget: how long the edge waits for slow parts before answering with them pending. Checked at
load, like the rest of the file, so a typo fails the deploy with one line (docs/views.md).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from batchsafety import refuse_url
from routesyntax import (
    RoutesError,
    check_json,
    check_keys,
    describe,
    expect_string,
    expect_table,
    parse_duration,
)
from template import holes

__all__ = ["PLACE_VARIABLES", "Part", "View", "parse_views"]

PLACE_VARIABLES = ("lat", "lon", "zone")
"""Placeholders every view has: the client's coordinates and zone id, from ``request.cf``."""

_VIEW_KEYS = ("params", "parts", "template", "budget")
_PART_KEYS = ("url", "optional")
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_VARIABLE = re.compile(r"[a-z_][a-z0-9_]{0,31}")
_MAX_PARTS = 20
_DEFAULT_BUDGET = 0.25


@dataclass(frozen=True, slots=True)
class Part:
    """One storefront request of a view."""

    name: str
    url: str
    """A path and query with ``{variable}`` placeholders, under ``[batch] prefixes``."""
    optional: bool = False
    """Whether the view is served (with ``null`` here) when this part fails."""


@dataclass(frozen=True, slots=True)
class View:
    name: str
    params: tuple[tuple[str, re.Pattern[str]], ...]
    """Query parameters, each with the pattern its one value must fully match."""
    parts: tuple[Part, ...]
    template: object
    """The document's shape (``template``); by default each part under its name."""
    budget: float
    """Seconds to wait for the parts; slower ones are served pending."""


def parse_views(value: object, source: str, prefixes: tuple[str, ...]) -> tuple[View, ...]:
    """The ``[views]`` table; every part URL must be one an item of a batch could ask for."""
    table = expect_table(value, f"{source}: [views]")
    views = []
    for name, body in table.items():
        where = f"{source}: [views.{name}]"
        if _NAME.fullmatch(name) is None:
            raise RoutesError(f"{where}: a view name is 1-64 of a-z, 0-9, '_' and '-'")
        views.append(_view(name, expect_table(body, where), where, prefixes))
    return tuple(views)


def _view(name: str, table: dict[str, object], where: str, prefixes: tuple[str, ...]) -> View:
    check_keys(table, _VIEW_KEYS, where)
    params = _params(table.get("params", {}), f"{where}: key 'params'")
    if "parts" not in table:
        raise RoutesError(f"{where}: missing key 'parts'")
    variables = {param for param, _ in params} | set(PLACE_VARIABLES)
    parts = _parts(table["parts"], f"{where}: key 'parts'", variables, prefixes)
    names = {part.name for part in parts}
    clash = sorted(names & variables)
    if clash:
        raise RoutesError(f"{where}: key 'parts': {clash[0]!r} is also a parameter's name")
    template = table.get("template", {part.name: f"{{{{ {part.name} }}}}" for part in parts})
    if not isinstance(template, dict) or "pending" in template:
        raise RoutesError(
            f"{where}: key 'template': must be a table without a 'pending' member (the edge "
            "lists slow parts there)"
        )
    check_json(template, f"{where}: key 'template'")
    for hole in holes(template):
        if hole not in names | variables:
            raise RoutesError(
                f"{where}: key 'template': '{{{{ {hole} }}}}' names no part or parameter"
            )
    budget = _DEFAULT_BUDGET
    if "budget" in table:
        budget = parse_duration(table["budget"], f"{where}: key 'budget'")
        if not 0 < budget <= 30:
            raise RoutesError(f"{where}: key 'budget': must be more than 0 and at most 30s")
    return View(name, params, parts, template, budget)


def _params(value: object, where: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    table = expect_table(value, where)
    params = []
    for name, pattern in table.items():
        if _VARIABLE.fullmatch(name) is None or name in PLACE_VARIABLES:
            raise RoutesError(
                f"{where}: {name!r} is not a parameter name (a-z, 0-9 and '_', not "
                f"{', '.join(PLACE_VARIABLES)})"
            )
        text = expect_string(pattern, f"{where}: {name!r}")
        try:
            params.append((name, re.compile(text)))
        # OverflowError: a repetition count past sre's limit ("{0,99999999999}");
        # RecursionError: groups nested deeper than the parser's recursion
        except (re.error, OverflowError, RecursionError) as exc:
            raise RoutesError(f"{where}: {name!r}: not a regular expression: {exc}") from None
    return tuple(params)


def _parts(
    value: object, where: str, variables: set[str], prefixes: tuple[str, ...]
) -> tuple[Part, ...]:
    table = expect_table(value, where)
    if not 1 <= len(table) <= _MAX_PARTS:
        raise RoutesError(f"{where}: a view has 1 to {_MAX_PARTS} parts, got {len(table)}")
    parts = []
    for name, body in table.items():
        at = f"{where}: part {name!r}"
        if _VARIABLE.fullmatch(name) is None:
            raise RoutesError(f"{at}: a part name is a-z, 0-9 and '_'")
        if isinstance(body, str):
            body = {"url": body}
        spec = expect_table(body, at)
        check_keys(spec, _PART_KEYS, at)
        url = expect_string(spec.get("url"), f"{at}: key 'url'")
        optional = spec.get("optional", False)
        if not isinstance(optional, bool):
            raise RoutesError(f"{at}: key 'optional': expected a boolean, got {describe(optional)}")
        _check_url(url, f"{at}: key 'url'", variables, prefixes)
        parts.append(Part(name, url, optional))
    return tuple(parts)


def _check_url(url: str, where: str, variables: set[str], prefixes: tuple[str, ...]) -> None:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(url) if field is not None]
    except ValueError as exc:
        raise RoutesError(f"{where}: {exc} in {url!r}") from None
    for field in fields:
        if field not in variables:
            raise RoutesError(f"{where}: {{{field}}} is not a parameter of the view")
    reason = refuse_url(url.format_map({field: "x" for field in fields}), prefixes)
    if reason is not None:
        raise RoutesError(f"{where}: {reason}")
