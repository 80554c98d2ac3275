"""The fallback ladder: which rung of zone, city, region, country, world a client stands on."""

from __future__ import annotations

import pytest
from geoscope import GLOBAL, Geo, Scope, geo_from_cf, ladder, pick
from hypothesis import given
from hypothesis import strategies as st
from zoneindex import Located
from zones import Circle, Zone

STORE = Zone("sf-mission", "store", Circle((-122.4187, 37.7567), 3000))
CITY = Zone("san-francisco", "city", Circle((-122.42, 37.77), 10000))
SF = {
    "latitude": "37.75670",
    "longitude": "-122.41870",
    "city": "San Francisco",
    "regionCode": "CA",
    "country": "US",
}


def ids(rungs: tuple[Scope | None, ...]) -> list[str | None]:
    return [rung.id if rung else None for rung in rungs]


def test_request_cf_coordinates_arrive_as_strings_and_become_degrees():
    geo = geo_from_cf(SF)
    assert (geo.lat, geo.lon) == (37.7567, -122.4187)


@pytest.mark.parametrize(
    "latitude", ["91", "NaN", "inf", "north", "", True, None, ["37.7"]], ids=repr
)
def test_a_latitude_off_the_globe_or_malformed_drops_both_coordinates(latitude):
    geo = geo_from_cf({**SF, "latitude": latitude})
    assert (geo.lat, geo.lon) == (None, None)


def test_a_city_name_becomes_an_ascii_slug():
    assert geo_from_cf({"city": "São Paulo"}).city == "sao-paulo"


def test_a_city_name_without_latin_letters_becomes_a_stable_hash():
    first, second = geo_from_cf({"city": "東京"}).city, geo_from_cf({"city": "東京"}).city
    assert first == second
    assert first is not None
    assert first.startswith("h")
    assert first.isascii()


@pytest.mark.parametrize("code", ["C/A", "C A", "", "CALIFORNIA-STATE", 7])
def test_a_region_code_that_is_not_a_short_alphanumeric_is_ignored(code):
    assert geo_from_cf({**SF, "regionCode": code}).region is None


def test_a_metro_code_must_be_digits():
    assert geo_from_cf({"metroCode": "807"}).metro == "807"
    assert geo_from_cf({"metroCode": "80/7"}).metro is None


def test_the_ladder_names_each_level_finest_first():
    rungs = ladder(geo_from_cf(SF), Located(STORE, CITY))
    assert ids(rungs) == ["sf-mission", "san-francisco", "region:us:ca", "country:us", "global"]


def test_without_a_city_zone_the_metro_code_names_the_city_level():
    rungs = ladder(geo_from_cf({**SF, "metroCode": "807"}), Located(None, None))
    assert ids(rungs)[:2] == [None, "metro:807"]


def test_without_a_city_zone_or_metro_request_cf_city_names_the_city_level():
    assert ids(ladder(geo_from_cf(SF), Located(None, None)))[1] == "city:us:ca:san-francisco"


def test_a_client_nobody_can_place_stands_on_the_global_rung_only():
    assert ids(ladder(Geo(), Located(None, None))) == [None, None, None, None, "global"]


def test_pick_takes_the_finest_known_rung_from_the_scope_down():
    rungs = ladder(geo_from_cf(SF), Located(None, CITY))
    assert pick(rungs, "zone", "global") == Scope("city", "san-francisco", CITY)


def test_pick_never_goes_past_the_fallback():
    assert pick(ladder(Geo(), Located(None, None)), "zone", "country") is None


def test_pick_never_goes_finer_than_the_scope():
    assert pick(ladder(geo_from_cf(SF), Located(STORE, CITY)), "region", "global") == Scope(
        "region", "region:us:ca"
    )


def test_the_global_rung_is_global():
    assert pick((None, None, None, None, GLOBAL), "global", "global") == GLOBAL


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "latitude": st.one_of(st.text(), st.floats()),
            "longitude": st.one_of(st.text(), st.floats()),
            "metroCode": st.one_of(st.text(), st.integers()),
            "city": st.text(),
            "regionCode": st.text(),
            "country": st.text(),
        },
    )
)
def test_request_cf_derived_ids_are_printable_ascii_without_separators_of_urls_or_lists(cf):
    for rung in ladder(geo_from_cf(cf), Located(None, None)):
        if rung is not None and rung is not GLOBAL:
            assert ":" in rung.id
            assert rung.id.isascii()
            assert rung.id.isprintable()
            assert not set(rung.id) & set("/?#%, ;\"'\\")
