"""Zones come from GeoJSON; a bad zone is refused with one line naming the file, the zone and
the key, and the lenient reader used for KV keeps every good zone when one is bad."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import zonefile
from hypothesis import given, settings
from hypothesis import strategies as st
from zonefile import ParsedZones, ZoneError, ZoneProblem, load_zones, parse_zones
from zones import Circle, Polygon, Zone

SQUARE = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
HOLE = [[0.25, 0.25], [0.25, 0.75], [0.75, 0.75], [0.75, 0.25], [0.25, 0.25]]
SQUARE_SHAPE = (Polygon((((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)),)),)


def feature(zone_id: Any = "a", **changes: Any) -> dict[str, Any]:
    """A valid store feature with id ``zone_id``; ``changes`` set its properties (``None``
    drops one) or, for ``geometry``/``type``/``properties``, the member itself."""
    member: dict[str, Any] = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
        "properties": {"kind": "store"},
    }
    if zone_id is not None:
        member["id"] = zone_id
    for key, value in changes.items():
        if key in ("geometry", "type", "properties"):
            member[key] = value
        elif value is None:
            member["properties"].pop(key, None)
        else:
            member["properties"][key] = value
    return member


def document(*features: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def error(text: str) -> str:
    with pytest.raises(ZoneError) as raised:
        load_zones(text, "z.geojson")
    message = str(raised.value)
    assert "\n" not in message
    return message


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


# What a zone reads as


def test_a_feature_collection_gives_its_zones_in_document_order():
    zones = load_zones(document(feature("b"), feature("a")), "z.geojson")
    assert [zone.id for zone in zones] == ["b", "a"]


def test_a_polygon_feature_becomes_a_zone_with_defaults():
    assert load_zones(document(feature("a")), "z.geojson") == (Zone("a", "store", SQUARE_SHAPE),)


def test_a_point_with_radius_m_becomes_a_circle():
    point = {"type": "Point", "coordinates": [-122.4187, 37.7567]}
    (zone,) = load_zones(document(feature(geometry=point, radius_m=3000)), "z.geojson")
    assert zone.shape == Circle((-122.4187, 37.7567), 3000.0)


def test_a_multipolygon_keeps_each_polygon_and_its_holes():
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE, [SQUARE[0], HOLE]]}
    (zone,) = load_zones(document(feature(geometry=multi)), "z.geojson")
    assert isinstance(zone.shape, tuple)
    assert [len(polygon.rings) for polygon in zone.shape] == [1, 2]


def test_positions_are_floats_and_an_altitude_is_ignored():
    ring = [[0, 0, 12.5], [1, 0, 3], [1, 1], [0, 1], [0, 0, 7]]
    (zone,) = load_zones(with_geometry({"type": "Polygon", "coordinates": [ring]}), "z.geojson")
    assert zone.shape == SQUARE_SHAPE


def test_the_id_may_be_given_as_properties_id():
    (zone,) = load_zones(document(feature(None, id="from-properties")), "z.geojson")
    assert zone.id == "from-properties"


def test_the_feature_id_and_properties_id_may_both_be_given_when_equal():
    (zone,) = load_zones(document(feature("same", id="same")), "z.geojson")
    assert zone.id == "same"


def test_every_kind_is_read():
    features = [feature(kind, kind=kind) for kind in ("store", "popup", "event", "city")]
    zones = load_zones(document(*features), "z.geojson")
    assert [zone.kind for zone in zones] == ["store", "popup", "event", "city"]


def test_priority_is_read():
    (zone,) = load_zones(document(feature(priority=-7)), "z.geojson")
    assert zone.priority == -7


def test_the_active_window_is_epoch_seconds_of_rfc3339_instants():
    window = {"starts_at": "2026-05-01T09:00:00+02:00", "ends_at": "2026-05-03T18:30:00Z"}
    (zone,) = load_zones(document(feature(**window)), "z.geojson")
    assert (zone.starts_at, zone.ends_at) == (
        epoch("2026-05-01T07:00:00+00:00"),
        epoch("2026-05-03T18:30:00+00:00"),
    )


def test_an_instant_may_have_fractional_seconds_and_lower_case_t_and_z():
    (zone,) = load_zones(document(feature(starts_at="2026-05-01t09:00:00.250z")), "z.geojson")
    assert zone.starts_at == epoch("2026-05-01T09:00:00+00:00") + 0.25


def test_either_end_of_the_window_may_be_open():
    opens = feature("a", starts_at="2026-05-01T00:00:00Z")
    closes = feature("b", ends_at="2026-05-02T00:00:00Z")
    zones = load_zones(document(opens, closes), "z.geojson")
    assert [(zone.starts_at is None, zone.ends_at is None) for zone in zones] == [
        (False, True),
        (True, False),
    ]


def test_ttl_overrides_are_seconds_in_class_order():
    (zone,) = load_zones(with_properties(ttl={"cold": "1h", "hot": 2, "warm": "500ms"}), "z")
    assert zone.ttl == (("hot", 2.0), ("warm", 0.5), ("cold", 3600.0))


def test_placeholder_after_is_seconds():
    (zone,) = load_zones(document(feature(placeholder_after="750ms")), "z.geojson")
    assert zone.placeholder_after == 0.75


def test_other_properties_are_ignored():
    (zone,) = load_zones(document(feature(name="Mission", colour=[1, 2])), "z.geojson")
    assert zone == Zone("a", "store", SQUARE_SHAPE)


def test_null_properties_leave_only_the_feature_id():
    assert "key 'kind'" in error(document(feature(properties=None)))


def test_an_empty_collection_has_no_zones():
    assert load_zones(document(), "z.geojson") == ()


def test_the_limits_are_as_documented():
    assert (zonefile.MAX_FEATURES, zonefile.MAX_POSITIONS) == (50_000, 100_000)
    assert zonefile.MAX_DEPTH == 64
    assert (zonefile.MAX_RADIUS_M, zonefile.MAX_PRIORITY) == (500_000.0, 1000)


# Refusals: one line naming the file, the zone (or the feature) and the key

Z = "z.geojson: zone 'a'"
F1 = "z.geojson: feature 1"
G = f"{Z}: key 'geometry'"
BAD_ID = f"{F1}: key 'id': expected a string of [a-z0-9][a-z0-9._-]{{0,63}}, got"
KIND = f"{Z}: key 'kind': expected one of store, popup, event or city, got"
PRIORITY = f"{Z}: key 'priority': expected an integer from -1000 to 1000, got"
INSTANT = "expected an RFC 3339 date-time with an offset such as '2026-05-01T09:00:00Z', got"
CLASSES = "(expected hot, warm or cold)"
RADIUS = f"{Z}: key 'radius_m': expected metres, more than 0 and at most 500000, got"
TYPES = f"{G}: expected type Polygon, MultiPolygon or Point (with radius_m), got"
UNCLOSED = "unclosed ring (its last position must repeat its first)"
OPEN_SQUARE = [*SQUARE[0][:-1], [0, 0.5]]


def polygon(*rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def point(radius: Any, coordinates: Any = (0, 0)) -> dict[str, Any]:
    return {"geometry": {"type": "Point", "coordinates": list(coordinates)}, "radius_m": radius}


def with_geometry(geometry: Any) -> str:
    return document(feature(geometry=geometry))


def with_properties(**properties: Any) -> str:
    return document(feature(**properties))


REFUSALS = [
    # The document
    ("not json", "{", "z.geojson: not JSON: Expecting property name enclosed in double quotes"),
    ("nan", '{"type": "FeatureCollection", "features": [NaN]}', "z.geojson: not JSON: NaN is"),
    ("array", "[]", "z.geojson: expected a GeoJSON FeatureCollection, got an array"),
    (
        "a feature",
        json.dumps(feature()),
        "z.geojson: expected a GeoJSON FeatureCollection, got 'Feature'",
    ),
    (
        "no features",
        '{"type": "FeatureCollection"}',
        "z.geojson: key 'features': expected an array, got null",
    ),
    # A feature without a usable id
    ("not an object", document([1]), f"{F1}: expected a GeoJSON Feature, got an array"),
    (
        "not a feature",
        document(feature(type="Point")),
        f"{F1}: expected a GeoJSON Feature, got 'Point'",
    ),
    (
        "properties",
        document(feature(properties=[])),
        f"{F1}: key 'properties': expected an object, got an array",
    ),
    (
        "no id",
        document(feature(None)),
        f"{F1}: key 'id': missing (the Feature's id or properties.id)",
    ),
    ("number id", document(feature(7)), f"{BAD_ID} 7"),
    ("upper case", document(feature("Mission")), f"{BAD_ID} 'Mission'"),
    ("leading dash", document(feature("-a")), f"{BAD_ID} '-a'"),
    ("space", document(feature("a b")), f"{BAD_ID} 'a b'"),
    ("too long", document(feature("a" * 65)), f"{BAD_ID} '{'a' * 40}…'"),
    (
        "reserved",
        document(feature("global")),
        f"{F1}: key 'id': 'global' is reserved for the ladder's last rung",
    ),
    (
        "ids differ",
        document(feature("a", id="b")),
        f"{F1}: key 'id': the Feature's id 'a' and properties.id 'b' differ",
    ),
    # Properties
    (
        "duplicate",
        document(feature("a"), feature("a")),
        f"{Z}: key 'id': duplicate id (feature 1 has it too)",
    ),
    ("no kind", with_properties(kind=None), f"{KIND} null"),
    ("kind", with_properties(kind="shop"), f"{KIND} 'shop'"),
    ("priority bool", with_properties(priority=True), f"{PRIORITY} true"),
    ("priority float", with_properties(priority=1.5), f"{PRIORITY} 1.5"),
    ("priority high", with_properties(priority=1001), f"{PRIORITY} 1001"),
    ("priority low", with_properties(priority=-1001), f"{PRIORITY} -1001"),
    (
        "naive",
        with_properties(starts_at="2026-05-01T09:00:00"),
        f"{Z}: key 'starts_at': {INSTANT} '2026-05-01T09:00:00'",
    ),
    (
        "date only",
        with_properties(ends_at="2026-05-01"),
        f"{Z}: key 'ends_at': {INSTANT} '2026-05-01'",
    ),
    (
        "space for t",
        with_properties(starts_at="2026-05-01 09:00:00Z"),
        f"{Z}: key 'starts_at': {INSTANT} '2026-05-01 09:00:00Z'",
    ),
    (
        "epoch number",
        with_properties(starts_at=1777626000),
        f"{Z}: key 'starts_at': {INSTANT} 1777626000",
    ),
    (
        "month 13",
        with_properties(starts_at="2026-13-01T00:00:00Z"),
        f"{Z}: key 'starts_at': '2026-13-01T00:00:00Z' is no valid date-time: ",
    ),
    (
        "ends first",
        with_properties(starts_at="2026-05-02T00:00:00Z", ends_at="2026-05-01T00:00:00Z"),
        f"{Z}: key 'ends_at': must be later than starts_at",
    ),
    (
        "empty window",
        with_properties(starts_at="2026-05-01T02:00:00+02:00", ends_at="2026-05-01T00:00:00Z"),
        f"{Z}: key 'ends_at': must be later than starts_at",
    ),
    (
        "ttl array",
        with_properties(ttl=["hot"]),
        f"{Z}: key 'ttl': expected an object of class name to duration, got an array",
    ),
    (
        "ttl bypass",
        with_properties(ttl={"bypass": 1}),
        f"{Z}: key 'ttl': 'bypass' is never stored, so it has no TTL {CLASSES}",
    ),
    (
        "ttl class",
        with_properties(ttl={"tepid": 1}),
        f"{Z}: key 'ttl': 'tepid' is not a class with a TTL {CLASSES}",
    ),
    (
        "ttl origin",
        with_properties(ttl={"origin": 1}),
        f"{Z}: key 'ttl': 'origin' is always given the origin's own lifetime {CLASSES}",
    ),
    (
        "ttl words",
        with_properties(ttl={"hot": "5 minutes"}),
        f"{Z}: key 'ttl.hot': expected a number and a unit (ms, s, m, h, d, w) "
        "such as '30s', got '5 minutes'",
    ),
    (
        "ttl negative",
        with_properties(ttl={"warm": -1}),
        f"{Z}: key 'ttl.warm': must not be negative, got -1",
    ),
    (
        "placeholder",
        with_properties(placeholder_after=True),
        f"{Z}: key 'placeholder_after': expected a duration such as '30s' or a "
        "number of seconds, got a boolean",
    ),
    # Geometry
    ("no geometry", with_geometry(None), f"{G}: expected a GeoJSON geometry object, got null"),
    (
        "line",
        with_geometry({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        f"{TYPES} 'LineString'",
    ),
    (
        "collection",
        with_geometry({"type": "GeometryCollection", "geometries": []}),
        f"{TYPES} 'GeometryCollection'",
    ),
    (
        "no radius",
        with_properties(**point(None)),
        f"{Z}: key 'radius_m': missing (a Point zone is a circle)",
    ),
    (
        "radius on polygon",
        with_properties(radius_m=100),
        f"{Z}: key 'radius_m': only a Point has a radius, not 'Polygon'",
    ),
    ("zero radius", with_properties(**point(0)), f"{RADIUS} 0"),
    ("negative radius", with_properties(**point(-5)), f"{RADIUS} -5"),
    ("absurd radius", with_properties(**point(500_001)), f"{RADIUS} 500001"),
    ("huge radius", with_properties(**point(1e300)), f"{RADIUS} 1e+300"),
    ("string radius", with_properties(**point("3km")), f"{RADIUS} '3km'"),
    ("bool radius", with_properties(**point(True)), f"{RADIUS} true"),
    (
        "point shape",
        with_properties(**point(10, [0])),
        f"{G}: coordinates: expected [longitude, latitude], got an array",
    ),
    (
        "longitude",
        with_properties(**point(10, [180.5, 0])),
        f"{G}: coordinates: longitude 180.5 is outside [-180, 180]",
    ),
    (
        "latitude",
        with_properties(**point(10, [0, -90.01])),
        f"{G}: coordinates: latitude -90.01 is outside [-90, 90]",
    ),
    (
        "huge latitude",
        with_properties(**point(10, [0, 10**400])),
        f"{G}: coordinates: latitude a very large integer is outside [-90, 90]",
    ),
    (
        "string longitude",
        with_properties(**point(10, ["0", 0])),
        f"{G}: coordinates: longitude must be a number, got '0'",
    ),
    (
        "bool latitude",
        with_properties(**point(10, [0, False])),
        f"{G}: coordinates: latitude must be a number, got false",
    ),
    (
        "no rings",
        with_geometry(polygon()),
        f"{G}: coordinates: expected a non-empty array of rings, got an array",
    ),
    (
        "rings null",
        with_geometry({"type": "Polygon"}),
        f"{G}: coordinates: expected a non-empty array of rings, got null",
    ),
    (
        "no polygons",
        with_geometry({"type": "MultiPolygon", "coordinates": []}),
        f"{G}: coordinates: expected a non-empty array of polygons, got an array",
    ),
    (
        "ring not array",
        with_geometry(polygon(5)),
        f"{G}: ring 1: expected a non-empty array of positions, got 5",
    ),
    (
        "short ring",
        with_geometry(polygon([[0, 0], [1, 0], [0, 0]])),
        f"{G}: ring 1: 3 positions, a ring needs at least 4 (the last repeating the first)",
    ),
    ("unclosed", with_geometry(polygon(OPEN_SQUARE)), f"{G}: ring 1: {UNCLOSED}"),
    (
        "unclosed hole",
        with_geometry(polygon(SQUARE[0], [*HOLE[:-1], [0.3, 0.3]])),
        f"{G}: ring 2: {UNCLOSED}",
    ),
    (
        "bad position",
        with_geometry(polygon(SQUARE[0], [[0, 0], [1, 0], [1, 91], [0, 0]])),
        f"{G}: ring 2 position 3: latitude 91 is outside [-90, 90]",
    ),
    (
        "multi unclosed",
        with_geometry({"type": "MultiPolygon", "coordinates": [SQUARE, [OPEN_SQUARE]]}),
        f"{G}: polygon 2 ring 1: {UNCLOSED}",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [row[1:] for row in REFUSALS], ids=[row[0] for row in REFUSALS]
)
def test_a_bad_document_is_refused_with_one_line_naming_zone_and_key(text, message):
    assert error(text).startswith(message)


def test_more_features_than_the_limit_are_refused_before_they_are_read(monkeypatch):
    monkeypatch.setattr(zonefile, "MAX_FEATURES", 2)
    assert error(document(feature("a"), feature("b"), 7)) == (
        "z.geojson: key 'features': 3 features, more than the 2 allowed"
    )


def test_more_positions_than_the_limit_in_one_zone_are_refused(monkeypatch):
    monkeypatch.setattr(zonefile, "MAX_POSITIONS", 9)
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE, SQUARE]}
    assert error(document(feature(geometry=multi))) == (
        f"{Z}: key 'geometry': more than 9 positions"
    )


def test_the_position_limit_counts_each_zone_apart(monkeypatch):
    monkeypatch.setattr(zonefile, "MAX_POSITIONS", 5)
    assert len(load_zones(document(feature("a"), feature("b")), "z.geojson")) == 2


def test_json_nested_deeper_than_the_limit_is_refused_before_it_is_decoded():
    assert error("[" * 100_000 + "]" * 100_000) == (
        "z.geojson: arrays and objects nest 100000 deep, more than the 64 allowed"
    )


def test_brackets_inside_strings_do_not_count_as_nesting():
    name = '[[[{"\\"' * 100
    assert load_zones(document(feature(name=name)), "z.geojson")[0].id == "a"


def test_nesting_up_to_the_limit_is_read():
    deep: Any = "x"
    for _ in range(64 - 4):  # the collection, its features, a feature and its properties
        deep = [deep]
    assert load_zones(document(feature(name=deep)), "z.geojson")[0].id == "a"


def test_a_very_long_string_is_shortened_in_the_message():
    message = error(document(feature(kind="x" * 10_000)))
    assert len(message) < 200


def test_a_zone_error_knows_its_zone_id():
    with pytest.raises(ZoneError) as raised:
        load_zones(document(feature("a", kind="shop")), "z.geojson")
    assert raised.value.zone_id == "a"


def test_load_zones_refuses_with_the_first_problem():
    assert error(document(feature("a", kind="x"), feature("b", priority="x"))).startswith(
        "z.geojson: zone 'a': key 'kind'"
    )


# The lenient reader (the KV copy)


def test_parse_zones_keeps_the_good_zones_and_reports_the_bad_one_by_id():
    parsed = parse_zones(document(feature("a"), feature("b", kind="shop"), feature("c")), "KV")
    assert [zone.id for zone in parsed.zones] == ["a", "c"]
    assert parsed.problems == (
        ZoneProblem(
            "b",
            "KV: zone 'b': key 'kind': expected one of store, popup, event or city, got 'shop'",
        ),
    )


def test_parse_zones_reports_a_feature_without_an_id_with_no_zone_id():
    parsed = parse_zones(document(feature(None), feature("b")), "KV")
    assert [zone.id for zone in parsed.zones] == ["b"]
    assert [problem.zone_id for problem in parsed.problems] == [None]


def test_parse_zones_keeps_the_first_of_two_zones_with_one_id():
    parsed = parse_zones(document(feature("a", priority=1), feature("a", priority=2)), "KV")
    assert [zone.priority for zone in parsed.zones] == [1]
    assert [problem.zone_id for problem in parsed.problems] == ["a"]


def test_parse_zones_gives_no_zones_and_one_problem_for_a_broken_document():
    assert parse_zones("not json", "KV") == ParsedZones(
        (), (ZoneProblem(None, "KV: not JSON: Expecting value: line 1 column 1 (char 0)"),)
    )


# Properties: any input gives zones or one-line problems, never another exception

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
NUMBERS = st.integers(-200, 200) | st.floats(-200, 200) | JSON_SCALARS
POSITIONS = st.lists(NUMBERS, min_size=0, max_size=3)
RINGS = st.lists(POSITIONS, max_size=5).map(lambda ring: ring + ring[:1]) | JSON
GEOMETRIES = (
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString"]) | JSON,
            "coordinates": st.lists(RINGS, max_size=2)
            | POSITIONS
            | st.lists(st.lists(RINGS, max_size=2), max_size=2),
        }
    )
    | JSON
)
PROPERTIES = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["a", "b", "global", "B"]) | JSON,
        "kind": st.sampled_from(["store", "popup", "event", "city"]) | JSON,
        "priority": st.integers(-1100, 1100) | JSON,
        "starts_at": st.sampled_from(["2026-05-01T00:00:00Z", "2026-05-01T00:00:00"]) | JSON,
        "ends_at": st.sampled_from(["2026-04-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"])
        | JSON,
        "ttl": st.dictionaries(
            st.sampled_from(["hot", "bypass", "x"]),
            NUMBERS | st.sampled_from(["5s", "2w"]),
            max_size=2,
        )
        | JSON,
        "placeholder_after": NUMBERS,
        "radius_m": NUMBERS,
    },
)
FEATURES = (
    st.fixed_dictionaries(
        {
            "type": st.just("Feature") | JSON,
            "geometry": GEOMETRIES,
            "properties": PROPERTIES | JSON,
        },
        optional={"id": st.sampled_from(["a", "b", "c"]) | JSON},
    )
    | JSON
)
COLLECTIONS = st.fixed_dictionaries(
    {"type": st.just("FeatureCollection") | JSON, "features": st.lists(FEATURES, max_size=4) | JSON}
)
DOCUMENTS = COLLECTIONS | JSON


def check(parsed: ParsedZones, source: str, features: object) -> None:
    for problem in parsed.problems:
        assert problem.message.startswith(f"{source}: ")
        assert "\n" not in problem.message
    count = len(features) if isinstance(features, list) else 1
    assert len(parsed.zones) + len(parsed.problems) <= max(count, 1)
    assert len({zone.id for zone in parsed.zones}) == len(parsed.zones)


@settings(max_examples=150, deadline=None)
@given(DOCUMENTS)
def test_parse_zones_never_raises_on_json_shaped_like_zones(value):
    parsed = parse_zones(json.dumps(value), "KV")
    check(parsed, "KV", value.get("features") if isinstance(value, dict) else None)


@settings(max_examples=100, deadline=None)
@given(DOCUMENTS)
def test_load_zones_raises_nothing_but_zone_error(value):
    text = json.dumps(value)
    if parse_zones(text, "z.geojson").problems:
        with pytest.raises(ZoneError, match=r"^z\.geojson: "):
            load_zones(text, "z.geojson")
    else:
        assert all(isinstance(zone, Zone) for zone in load_zones(text, "z.geojson"))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_parse_zones_never_raises_on_any_text(text):
    parsed = parse_zones(text, "KV")
    check(parsed, "KV", None)


IDS = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,10}", fullmatch=True).filter(lambda i: i != "global")
LON = st.floats(-180, 180)
LAT = st.floats(-90, 90)
INSTANTS = st.integers(0, 4_000_000_000)
CLASS_ORDER = ("hot", "warm", "cold")


@st.composite
def valid_zones(draw: st.DrawFn) -> Zone:
    """A zone the file can express exactly (floats, whole-second windows, TTLs in seconds)."""
    if draw(st.booleans()):
        shape: Any = Circle((draw(LON), draw(LAT)), draw(st.floats(0.001, 500_000)))
    else:
        ring = draw(st.lists(st.tuples(LON, LAT), min_size=3, max_size=6))
        shape = (Polygon(((*ring, ring[0]),)),)
    starts = draw(st.none() | INSTANTS)
    ends = draw(st.none() | INSTANTS.map(lambda t: t + (starts or 0) + 1))
    ttl = draw(st.dictionaries(st.sampled_from(CLASS_ORDER), st.integers(0, 86400)))
    return Zone(
        id=draw(IDS),
        kind=draw(st.sampled_from(["store", "popup", "event", "city"])),
        shape=shape,
        priority=draw(st.integers(-1000, 1000)),
        starts_at=None if starts is None else float(starts),
        ends_at=None if ends is None else float(ends),
        ttl=tuple((name, float(ttl[name])) for name in CLASS_ORDER if name in ttl),
        placeholder_after=draw(st.none() | st.integers(0, 60).map(float)),
    )


def to_feature(zone: Zone) -> dict[str, Any]:
    properties: dict[str, Any] = {"kind": zone.kind, "priority": zone.priority}
    for key in ("starts_at", "ends_at"):
        value = getattr(zone, key)
        if value is not None:
            properties[key] = datetime.fromtimestamp(value, UTC).isoformat()
    if zone.ttl:
        properties["ttl"] = dict(zone.ttl)
    if zone.placeholder_after is not None:
        properties["placeholder_after"] = zone.placeholder_after
    if isinstance(zone.shape, Circle):
        properties["radius_m"] = zone.shape.radius_m
        geometry: dict[str, Any] = {"type": "Point", "coordinates": list(zone.shape.center)}
    else:
        rings = [[list(position) for position in ring] for ring in zone.shape[0].rings]
        geometry = {"type": "Polygon", "coordinates": rings}
    return {"type": "Feature", "id": zone.id, "geometry": geometry, "properties": properties}


@settings(max_examples=100, deadline=None)
@given(valid_zones())
def test_a_zone_written_as_geojson_reads_back_as_itself(zone):
    assert load_zones(document(to_feature(zone)), "z.geojson") == (zone,)
