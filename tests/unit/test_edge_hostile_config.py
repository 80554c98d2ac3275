"""Hostile configuration: routes, zones and promotions load or are refused with their error.

routes.toml and promotions.toml ship with the Worker, but zones and promotions also arrive at
run time from KV, written by tools and people: a bad document must be refused with the
loader's own error (``RoutesError``, ``ZoneError``/a ``ZoneProblem``, ``PromotionsError``),
naming where, and never crash the isolate. The documents here are the shipped ones with one
value replaced by anything TOML or JSON can hold, plus arbitrary text.
"""

from __future__ import annotations

import contextlib
import json
import math
import tomllib
from pathlib import Path

import pytest
from hostile import outcome
from hypothesis import given, settings
from hypothesis import strategies as st
from promotions import PromotionsError, load_promotions_json, load_promotions_toml
from routes import load_routes
from routesyntax import RoutesError, compile_pattern, parse_duration
from zonefile import ZoneError, load_zones, parse_zones

HOSTILE = settings(max_examples=150, deadline=None)
EDGE = Path(__file__).parents[2] / "edge"
ROUTES = tomllib.loads((EDGE / "routes.toml").read_text(encoding="utf-8"))
PROMOTIONS = tomllib.loads((EDGE / "promotions.toml").read_text(encoding="utf-8"))
ZONES = json.loads((EDGE / "zones.geojson").read_text(encoding="utf-8"))
PREFIXES = ("/api/",)
NOW = 1_700_000_000.0

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
SCALARS = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | ANY_TEXT
    | st.sampled_from(["", "/**", "/api/{x", "**/**", "1h", "-1s", "PT0S", "99999999999d", "\x00"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=10,
)


def toml_value(value: object) -> str:
    """``value`` written as a TOML value (inline arrays and tables; strings as JSON writes
    them, which TOML reads the same, or refuses for a lone surrogate)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    assert isinstance(value, dict)
    members = (f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items())
    return "{" + ", ".join(members) + "}"


def toml_document(document: dict[str, object]) -> str:
    return "\n".join(f"{json.dumps(key)} = {toml_value(value)}" for key, value in document.items())


def paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a document a value could be replaced at."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


@st.composite
def mutated(draw: st.DrawFn, document: dict[str, object]) -> object:
    """``document`` with one value, anywhere in it, replaced by an arbitrary one."""
    where = draw(st.sampled_from(paths(document)[1:]))
    return replaced(document, where, draw(VALUES))


def test_the_toml_writer_round_trips_the_shipped_routes() -> None:
    assert tomllib.loads(toml_document(ROUTES)) == ROUTES


# --- routes.toml ------------------------------------------------------------------------------


@HOSTILE
@given(mutated(ROUTES))
def test_routes_with_any_one_value_changed_load_or_raise_routes_error(document: object) -> None:
    assert isinstance(document, dict)
    refused = outcome(RoutesError, load_routes, toml_document(document), "routes.toml")
    if isinstance(refused, RoutesError):
        assert str(refused).startswith("routes.toml")


@HOSTILE
@given(ANY_TEXT)
def test_any_routes_text_loads_or_raises_routes_error(text: str) -> None:
    with contextlib.suppress(RoutesError):
        load_routes(text, "routes.toml")


@HOSTILE
@given(VALUES)
def test_any_duration_parses_or_raises_routes_error(value: object) -> None:
    try:
        seconds = parse_duration(value, "here")
    except RoutesError:
        return
    assert math.isfinite(seconds)
    assert seconds >= 0


@HOSTILE
@given(ANY_TEXT | st.text(st.sampled_from("/*{}[]()?.\\^$|+"), max_size=40))
def test_any_route_pattern_compiles_or_raises_routes_error(pattern: str) -> None:
    with contextlib.suppress(RoutesError):
        compile_pattern(pattern, "here")


@pytest.mark.parametrize("pattern", ["/" + "*" * 5000, "/**" * 2000, "/{" * 3000, "/(" * 3000])
def test_a_pathological_route_pattern_is_compiled_or_refused(pattern: str) -> None:
    try:
        compiled = compile_pattern(pattern, "here")
    except RoutesError:
        return
    assert compiled.fullmatch("/" + "a/" * 50 + "b!") is None or compiled.pattern


@pytest.mark.parametrize(
    "text",
    [
        "[classes.x]\nttl = 1e999",
        "[settings]\nfirst_wait = nan",
        '[[rule]]\nname = "a"\npath = "/a\\r\\nb"\nclass = "origin"',  # CR LF in a pattern
        "a = [" * 200 + "]" * 200,
        "x = '\x00'",
    ],
)
def test_a_hostile_routes_file_raises_routes_error(text: str) -> None:
    with pytest.raises(RoutesError):
        load_routes(text, "routes.toml")


@pytest.mark.parametrize(
    "pattern",
    [
        "[A-Z0-9][A-Z0-9-]{0," + "9" * 40 + "}",  # found by tests/fuzz (routes_config)
        "(" * 1000 + ")" * 1000,
    ],
)
def test_a_view_parameter_python_cannot_compile_raises_routes_error(pattern: str) -> None:
    document = json.loads(json.dumps(ROUTES))
    document["views"]["pdp"]["params"]["sku"] = pattern
    with pytest.raises(RoutesError, match="not a regular expression"):
        load_routes(toml_document(document), "routes.toml")


# --- zones (GeoJSON, from the bundle or KV) ---------------------------------------------------


@HOSTILE
@given(mutated(ZONES))
def test_zones_with_any_one_value_changed_are_zones_and_problems(document: object) -> None:
    parsed = parse_zones(json.dumps(document), "zones.geojson")
    assert all(problem.message for problem in parsed.problems)
    try:
        load_zones(json.dumps(document), "zones.geojson")
    except ZoneError:
        assert parsed.problems


@HOSTILE
@given(ANY_TEXT | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_any_zones_text_never_raises(text: str) -> None:
    parse_zones(text, "zones.geojson")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"type": "FeatureCollection", "features": [' * 1000,
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a", '
        '"geometry": {"type": "Point", "coordinates": [1e999, 0]}, "properties": {}}]}',
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a", '
        '"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0, 0], [0, 0], [0, 0]]]}, '
        '"properties": {}}]}',
        '{"type": "FeatureCollection", "features": [], "type": "x"}',
    ],
)
def test_a_hostile_zones_document_is_a_problem_not_a_crash(text: str) -> None:
    parsed = parse_zones(text, "zones.geojson")
    assert parsed.problems or parsed.zones == ()


# --- promotions (promotions.toml, or JSON from KV) --------------------------------------------


@HOSTILE
@given(mutated(PROMOTIONS))
def test_promotions_with_any_one_value_changed_load_or_raise(document: object) -> None:
    for load, text in (
        (load_promotions_json, json.dumps(document)),
        (load_promotions_toml, toml_document(document) if isinstance(document, dict) else ""),
    ):
        options = {"prefixes": PREFIXES, "now": NOW, "known_views": ("pdp",)}
        refused = outcome(PromotionsError, load, text, "promotions", **options)
        if isinstance(refused, PromotionsError):
            assert str(refused)


@HOSTILE
@given(ANY_TEXT)
def test_any_promotions_text_loads_or_raises_promotions_error(text: str) -> None:
    for load in (load_promotions_json, load_promotions_toml):
        with contextlib.suppress(PromotionsError):
            load(text, "promotions", prefixes=PREFIXES)


@pytest.mark.parametrize(
    "promotion",
    [
        {"starts": "9999-12-31T23:59:59-23:59"},
        {"windows": ["2026-12-01T10:00:00-08:00/P99999999999Y"]},
        {"windows": ["2026-12-01T10:00:00-08:00/PT1H"] * 100_000},
        {"at": [float("nan"), 0]},
        {"at": [1e308, 1e308]},
        {"budget": 10**30},
        {"lead": "9" * 5000 + "s"},
        {"urls": ["/api/" + "\udcff"]},
        {"views": ["pdp?" + "a=1&" * 5000]},
    ],
)
def test_a_hostile_promotion_raises_promotions_error(promotion: dict[str, object]) -> None:
    document = json.loads(json.dumps(PROMOTIONS))
    document["promotions"]["sf-coffee-week"].update(promotion)
    with pytest.raises(PromotionsError):
        load_promotions_json(json.dumps(document), "promotions", prefixes=PREFIXES, now=NOW)
