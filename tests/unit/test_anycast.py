"""Anycast: the nearest PoP serves, a pin overrides, bad headers are problems naming the header."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.anycast import parse_client_geo, place
from emulator.errors import ProblemError
from emulator.topology import DEFAULT_TOPOLOGY, ClientRange, Location, Topology

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


@pytest.mark.parametrize(
    ("geo", "colo"),
    [
        ("37.77,-122.42", "SFO"),
        ("41.88,-87.63", "ORD"),
        ("40.71,-74.01", "ORD"),
        ("48.86,2.35", "LHR"),
        ("35.68,139.69", "SFO"),
    ],
)
def test_the_nearest_pop_serves(geo, colo):
    assert place(DEFAULT_TOPOLOGY, {"X-Popcache-Client-Geo": geo}, None).pop.colo == colo


def test_a_pin_overrides_the_location():
    headers = {"X-Popcache-Client-Geo": "37.77,-122.42", "X-Popcache-Pop": "lhr"}
    assert place(DEFAULT_TOPOLOGY, headers, None).pop.colo == "LHR"


def test_an_unplaced_client_stands_at_the_first_pop():
    placement = place(DEFAULT_TOPOLOGY, {}, "127.0.0.1")
    assert (placement.pop.colo, placement.client) == ("SFO", DEFAULT_TOPOLOGY.pops[0].location)


def test_the_most_specific_client_range_wins():
    topology = Topology(
        DEFAULT_TOPOLOGY.pops,
        (
            ClientRange(ipaddress.ip_network("10.0.0.0/8"), Location(37.0, -122.0)),
            ClientRange(ipaddress.ip_network("10.1.0.0/16"), Location(51.5, 0.0, asn=7)),
        ),
    )
    placement = place(topology, {"CF-Connecting-IP": "10.1.2.3"}, None)
    assert (placement.pop.colo, placement.client.asn) == ("LHR", 7)


@pytest.mark.parametrize("value", ["", "north", "1", "1,2,3", "91,0", "0,181", "nan,0", "inf,1"])
def test_a_malformed_geo_header_is_a_400_naming_it(value):
    with pytest.raises(ProblemError) as caught:
        parse_client_geo(value)
    assert (caught.value.status, caught.value.field) == (400, "X-Popcache-Client-Geo")


def test_an_unknown_pop_is_a_400_naming_the_header():
    with pytest.raises(ProblemError) as caught:
        place(DEFAULT_TOPOLOGY, {"X-Popcache-Pop": "XYZ"}, None)
    assert caught.value.field == "X-Popcache-Pop"


@pytest.mark.parametrize("value", ["[1]", "not json", '"text"'])
def test_a_cf_override_must_be_a_json_object(value):
    with pytest.raises(ProblemError) as caught:
        place(DEFAULT_TOPOLOGY, {"X-Popcache-Cf": value}, None)
    assert caught.value.field == "X-Popcache-Cf"


@given(latitudes, longitudes)
def test_any_valid_coordinates_parse_back(latitude, longitude):
    location = parse_client_geo(f"{latitude!r},{longitude!r}")
    assert (location.latitude, location.longitude) == (latitude, longitude)


@given(st.text(max_size=30))
def test_any_text_either_parses_or_is_a_400(text):
    try:
        location = parse_client_geo(text)
    except ProblemError as problem:
        status = problem.status
        assert status == 400
    else:
        assert -90 <= location.latitude <= 90
        assert -180 <= location.longitude <= 180


@given(latitudes, longitudes)
def test_the_chosen_pop_is_never_farther_than_another(latitude, longitude):
    from emulator.topology import distance_km

    client = Location(latitude, longitude)
    chosen = place(DEFAULT_TOPOLOGY, {"X-Popcache-Client-Geo": f"{latitude},{longitude}"}, None)
    best = min(distance_km(site.location, client) for site in DEFAULT_TOPOLOGY.pops)
    assert distance_km(chosen.pop.location, client) == best
