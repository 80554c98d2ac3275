"""`popcache zones check` finds what the parser skips and the geometry it lets through."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zonecheck import FINDING_KINDS, Finding, Report, check_zones

DAY_1, DAY_2, DAY_3 = "2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z"


def square(x: float, y: float, size: float = 1.0) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def polygon(*rings: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": list(rings)}


def circle(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


def zone(zone_id: str, geometry: dict[str, object], **properties: object) -> dict[str, object]:
    properties.setdefault("kind", "store")
    return {"type": "Feature", "id": zone_id, "geometry": geometry, "properties": properties}


def check(*features: dict[str, object]) -> Report:
    text = json.dumps({"type": "FeatureCollection", "features": list(features)})
    return check_zones(text, "zones.geojson")


def only(report: Report) -> Finding:
    assert len(report.findings) == 1, report.lines()
    return report.findings[0]


# A clean file


def test_a_clean_file_has_no_findings_and_renders_one_ok_line():
    report = check(
        zone("city", polygon(square(0, 0, 4)), kind="city"),
        zone("a", polygon(square(0, 0))),
        zone("b", circle(2.5, 2.5), radius_m=1000, starts_at=DAY_1),
    )
    assert report.ok
    assert report.lines() == [
        "zones.geojson: OK: 3 zones (2 store, 1 city), 1 with an active window, 1 circle"
    ]


def test_zones_that_only_share_edges_and_corners_do_not_overlap():
    report = check(
        zone("a", polygon(square(0, 0))),
        zone("b", polygon(square(1, 0))),
        zone("c", polygon(square(1, 1))),
        zone("d", polygon(square(0.5, -1))),  # meets a and b along part of their edges
    )
    assert report.ok, report.lines()


def test_float_noise_where_a_vertex_lies_on_a_neighbours_edge_is_no_overlap():
    # b's first edge lies on a's long edge y = 3x, its ends a last bit off it (0.2 * 3 is
    # 0.6000000000000001): read exactly, that edge would cross a's.
    a = [[0, 0], [0.7, 0], [0.7, 0.7 * 3], [0, 0]]
    b = [[0.108, 0.108 * 3], [0.2, 0.2 * 3], [0, 0.7 * 3], [0.108, 0.108 * 3]]
    assert check(zone("a", polygon(a)), zone("b", polygon(b))).ok


# What the parser refuses


def test_an_unclosed_ring_is_an_invalid_finding_naming_the_zone():
    finding = only(check(zone("a", polygon([*square(0, 0)[:-1], [0, 0.5]]))))
    assert finding.kind == "invalid"
    assert finding.zone_ids == ("a",)
    assert "unclosed ring" in finding.message
    assert not finding.message.startswith("zones.geojson")


def test_a_feature_without_an_id_is_an_invalid_finding_naming_no_zone():
    feature = zone("a", polygon(square(0, 0)))
    del feature["id"]
    finding = only(check(feature))
    assert (finding.kind, finding.zone_ids) == ("invalid", ())
    assert finding.message.startswith("feature 1: key 'id': missing")


def test_a_document_that_is_not_json_is_one_invalid_finding():
    report = check_zones("{", "zones.geojson")
    assert [finding.kind for finding in report.findings] == ["invalid"]
    assert report.summary.zones == 0


def test_the_good_zones_of_a_file_with_bad_ones_are_still_checked():
    report = check(
        zone("bad", polygon(square(0, 0)), kind="shop"),
        zone("bow", polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])),
    )
    assert [finding.kind for finding in report.findings] == ["invalid", "self-intersection"]


# Rings that cross themselves


def test_a_bow_tie_is_a_self_intersection_where_its_edges_cross():
    finding = only(check(zone("bow", polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]))))
    assert finding.kind == "self-intersection"
    assert finding.zone_ids == ("bow",)
    assert finding.message == (
        "zone 'bow': ring 1 (the exterior) intersects itself near lat 1.00000, lon 1.00000"
    )


def test_a_ring_that_passes_twice_through_one_vertex_intersects_itself():
    pinched = [[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 1], [0, 0]]
    finding = only(check(zone("pinch", polygon(pinched))))
    assert finding.kind == "self-intersection"
    assert "near lat 1.00000, lon 1.00000" in finding.message
    assert "places" not in finding.message  # one place, however many edge pairs meet there


def test_a_ring_that_folds_back_on_itself_intersects_itself():
    spike = [[0, 0], [2, 0], [2, 2], [2, 3], [2, 2], [0, 2], [0, 0]]
    assert only(check(zone("spike", polygon(spike)))).kind == "self-intersection"


def test_a_hole_that_crosses_itself_is_named_by_its_ring_number():
    hole = [[1, 1], [3, 3], [3, 1], [1, 3], [1, 1]]
    finding = only(check(zone("a", polygon(square(0, 0, 4), hole))))
    assert finding.kind == "self-intersection"
    assert finding.message.startswith("zone 'a': ring 2 (a hole) intersects itself")


def test_a_multipolygon_names_the_polygon_of_the_ring():
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [[square(0, 0)], [[[5, 5], [6, 6], [6, 5], [5, 6], [5, 5]]]],
    }
    finding = only(check(zone("a", geometry)))
    assert finding.message.startswith("zone 'a': polygon 2 ring 1 (the exterior) intersects")


def test_every_place_a_ring_crosses_itself_is_counted():
    # Two fingers reach down through the bottom edge, at lon 1 and lon 2.
    fingers = [[0, 0], [3, 0], [3, 2], [2, 2], [2, -1], [1, -1], [1, 2], [0, 2], [0, 0]]
    finding = only(check(zone("z", polygon(fingers))))
    assert finding.message.endswith("near lat 0.00000, lon 2.00000 (2 places)")


def test_a_crossing_in_a_ring_of_thousands_of_vertices_is_found():
    count = 5000
    ring = [
        [math.cos(2 * math.pi * k / count), math.sin(2 * math.pi * k / count)] for k in range(count)
    ]
    ring[100], ring[101] = ring[101], ring[100]
    finding = only(check(zone("big", polygon([*ring, ring[0]]))))
    assert finding.kind == "self-intersection"
    assert "places" not in finding.message


# Holes


def test_a_hole_outside_its_exterior_is_reported():
    finding = only(check(zone("a", polygon(square(0, 0), square(2, 2, 0.5)))))
    assert finding.kind == "hole-outside"
    assert finding.message == (
        "zone 'a': ring 2 (a hole) is not inside the exterior ring: "
        "lat 2.00000, lon 2.00000 is outside it"
    )


def test_a_hole_that_crosses_its_exterior_is_reported():
    finding = only(check(zone("a", polygon(square(0, 0), square(0.5, 0.5)))))
    assert finding.kind == "hole-crossing"
    assert "crosses the exterior ring near lat 0.50000, lon 1.00000" in finding.message


def test_a_hole_that_runs_along_its_exterior_is_reported():
    hole = [[0, 0.2], [0.5, 0.2], [0.5, 0.6], [0, 0.6], [0, 0.2]]
    finding = only(check(zone("a", polygon(square(0, 0), hole))))
    assert finding.kind == "hole-crossing"
    assert "runs along the exterior ring" in finding.message


def test_a_hole_inside_its_exterior_touching_it_at_one_point_is_fine():
    hole = [[0, 0], [0.5, 0.2], [0.2, 0.5], [0, 0]]
    assert check(zone("a", polygon(square(0, 0), hole))).ok


# Overlapping zones


def test_zones_of_one_level_and_priority_that_overlap_are_reported_as_a_pair():
    finding = only(check(zone("b", polygon(square(0, 0))), zone("a", polygon(square(0.5, 0.5)))))
    assert finding.kind == "overlap"
    assert finding.zone_ids == ("b", "a")
    assert finding.message == (
        "zones 'b' and 'a' (level zone, priority 0) overlap near lat 0.50000, lon 1.00000 "
        "while both are active (always); the lookup picks 'a', the smaller id"
    )


@pytest.mark.parametrize(
    "inner",
    [square(0, 0), square(0.25, 0.25, 0.5), [[0, 0], [1, 0], [0, 1], [0, 0]]],
    ids=["identical", "inside", "inside-sharing-edges"],
)
def test_a_zone_covering_another_overlaps_it_though_no_edges_cross(inner):
    report = check(zone("a", polygon(square(0, 0))), zone("b", polygon(inner)))
    assert only(report).kind == "overlap"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"priority": 1}, {}),
        ({"kind": "city"}, {}),
        ({"ends_at": DAY_2}, {"starts_at": DAY_2}),  # ends_at is exclusive
        ({"starts_at": DAY_1, "ends_at": DAY_2}, {"starts_at": DAY_2, "ends_at": DAY_3}),
    ],
    ids=["priority", "level", "back-to-back", "windows-apart"],
)
def test_overlapping_shapes_matter_only_at_one_level_and_priority_while_both_are_active(a, b):
    report = check(zone("a", polygon(square(0, 0)), **a), zone("b", polygon(square(0.5, 0.5)), **b))
    assert report.ok, report.lines()


def test_a_popup_and_an_event_are_one_level_so_they_can_overlap():
    report = check(
        zone("a", polygon(square(0, 0)), kind="popup"),
        zone("b", polygon(square(0.5, 0.5)), kind="event"),
    )
    assert only(report).kind == "overlap"


def test_an_overlap_names_the_time_both_zones_are_active():
    finding = only(
        check(
            zone("a", polygon(square(0, 0)), kind="popup", starts_at=DAY_1, ends_at=DAY_3),
            zone("b", polygon(square(0.5, 0.5)), kind="popup", starts_at=DAY_2),
        )
    )
    assert f"while both are active (from {DAY_2} until {DAY_3})" in finding.message


@pytest.mark.parametrize(
    ("distance_m", "overlaps"), [(1990.0, True), (2010.0, False)], ids=["closer", "farther"]
)
def test_circles_overlap_when_their_centres_are_closer_than_their_radii(distance_m, overlaps):
    lon = math.degrees(distance_m / 6_371_008.8)  # along the equator
    report = check(zone("a", circle(0, 0), radius_m=1000), zone("b", circle(lon, 0), radius_m=1000))
    assert report.ok is not overlaps


@pytest.mark.parametrize(
    ("distance_m", "overlaps"), [(990.0, True), (1010.0, False)], ids=["closer", "farther"]
)
def test_a_circle_overlaps_a_polygon_when_an_edge_is_within_its_radius(distance_m, overlaps):
    lon = -math.degrees(distance_m / 6_371_008.8)
    report = check(zone("a", circle(lon, 0.5), radius_m=1000), zone("b", polygon(square(0, 0))))
    assert report.ok is not overlaps


def test_a_circle_inside_a_polygon_overlaps_it():
    report = check(zone("a", circle(0.5, 0.5), radius_m=10), zone("b", polygon(square(0, 0))))
    assert only(report).kind == "overlap"


def test_zones_overlap_across_the_antimeridian():
    across = [[179, 0], [-179, 0], [-179, 1], [179, 1], [179, 0]]
    report = check(zone("a", polygon(across)), zone("b", polygon(square(-179.5, 0.2, 0.2))))
    assert "near lat 0.20000, lon -179.50000" in only(report).message


def test_a_ring_crossing_the_antimeridian_does_not_cross_itself():
    across = [[179, 0], [-179, 0], [-179, 1], [179, 1], [179, 0]]
    assert check(zone("a", polygon(across))).ok


@given(
    widths=st.lists(st.integers(1, 4), min_size=1, max_size=5),
    heights=st.lists(st.integers(1, 4), min_size=1, max_size=5),
)
def test_a_tiling_of_rectangles_never_overlaps(widths, heights):
    features = []
    for column, x in enumerate(_starts(widths)):
        for row, y in enumerate(_starts(heights)):
            w, h = widths[column], heights[row]
            ring = [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
            features.append(zone(f"z{column}-{row}", polygon(ring)))
    assert check(*features).ok


rectangles = st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(1, 4), st.integers(1, 4))


@given(st.lists(rectangles, min_size=2, max_size=24))
def test_rectangles_overlap_exactly_when_their_interiors_meet(boxes):
    def ring(x: int, y: int, w: int, h: int) -> list[list[float]]:
        x0, y0, x1, y1 = x / 4, y / 4, (x + w) / 4, (y + h) / 4
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]

    def meet(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
        return all(a[k] < b[k] + b[k + 2] and b[k] < a[k] + a[k + 2] for k in (0, 1))

    report = check(*(zone(f"z{n:02}", polygon(ring(*box))) for n, box in enumerate(boxes)))
    expected = {
        (f"z{i:02}", f"z{j:02}")
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes)
        if i < j and meet(a, b)
    }
    assert {finding.zone_ids for finding in report.findings} == expected


def _starts(sizes: list[int]) -> list[int]:
    return [sum(sizes[:index]) for index in range(len(sizes))]


# The report


def test_the_report_ends_with_a_count_of_findings_by_kind_and_a_summary():
    report = check(
        zone("bow", polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])),
        zone("a", polygon(square(5, 5))),
        zone("b", polygon(square(5.5, 5.5))),
        zone("c", circle(9, 9), kind="popup", radius_m=100, starts_at=DAY_1),
    )
    assert report.lines()[-1] == (
        "zones.geojson: 2 findings (1 self-intersection, 1 overlap) in 4 zones "
        "(3 store, 1 popup), 1 with an active window, 1 circle"
    )


def test_each_finding_is_one_line_naming_the_file_and_its_kind():
    report = check(zone("a", polygon(square(0, 0))), zone("b", polygon(square(0.5, 0.5))))
    assert report.lines()[0].startswith("zones.geojson: overlap: zones 'a' and 'b' ")
    assert all(finding.kind in FINDING_KINDS for finding in report.findings)
    assert all("\n" not in line for line in report.lines())


def test_findings_come_in_file_order_parse_problems_first():
    report = check(
        zone("a", polygon(square(0, 0))),
        zone("b", polygon(square(0.5, 0.5))),
        zone("c", polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), priority=3),
        zone("d", polygon(square(0, 0)), kind="nope"),
    )
    assert [(f.kind, f.zone_ids) for f in report.findings] == [
        ("invalid", ("d",)),
        ("self-intersection", ("c",)),
        ("overlap", ("a", "b")),
    ]
