"""The cities table answers the city a coordinate is in."""

import pytest

from emulator.geo import City, CityIndex, load_city_index


@pytest.fixture(scope="module")
def cities() -> CityIndex:
    return load_city_index()


@pytest.mark.parametrize(
    ("lat", "lon", "city", "country"),
    [
        (48.8566, 2.3522, "Paris", "FR"),
        (51.5074, -0.1278, "London", "GB"),
        (35.6762, 139.6503, "Tokyo", "JP"),
        (-33.8688, 151.2093, "Sydney", "AU"),
        (64.1466, -21.9426, "Reykjavík", "IS"),
    ],
)
def test_well_known_coordinates_land_in_their_city(cities, lat, lon, city, country):
    found = cities.nearest(lat, lon)
    assert found is not None
    assert (found.name, found.country) == (city, country)


def test_the_antimeridian_wraps(cities):
    found = cities.nearest(-18.14, 178.44)  # Suva, Fiji, next to 180°
    assert found is not None
    assert found.country == "FJ"


def test_the_open_ocean_has_no_city(cities):
    assert cities.nearest(-48.87, -123.39) is None  # Point Nemo


def test_a_district_yields_to_the_city_around_it():
    city = City("Metropolis", "XX", "", "", "UTC", "", 10.0, 10.0, population=1_000_000)
    district = City("Metropolis 4th", "XX", "", "", "UTC", "", 10.01, 10.01, population=50_000)
    assert CityIndex([city, district]).nearest(10.01, 10.01) == city


def test_a_distant_bigger_city_does_not_win():
    big = City("Big", "XX", "", "", "UTC", "", 10.0, 10.0, population=1_000_000)
    town = City("Town", "XX", "", "", "UTC", "", 10.5, 10.5, population=20_000)
    assert CityIndex([big, town]).nearest(10.5, 10.5) == town
