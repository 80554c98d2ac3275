"""Topology files are validated at load with the file and key named."""

import pytest

from emulator.errors import ConfigError
from emulator.topology import (
    DEFAULT_TOPOLOGY,
    Location,
    UpperTierConfig,
    distance_km,
    load_topology,
)

POP = (
    '[[pop]]\ncolo = "AMS"\ncity = "Amsterdam"\ncountry = "NL"\n'
    "latitude = 52.31\nlongitude = 4.76\n"
)


def load(tmp_path, text):
    path = tmp_path / "topology.toml"
    path.write_text(text)
    return load_topology(path)


def error_key(tmp_path, text):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.key


def test_a_topology_file_replaces_the_pops(tmp_path):
    topology = load(tmp_path, POP)
    assert [site.colo for site in topology.pops] == ["AMS"]


def test_at_least_one_pop_is_required(tmp_path):
    assert error_key(tmp_path, "") == "pop"


def test_a_latitude_out_of_range_is_named(tmp_path):
    assert error_key(tmp_path, POP.replace("52.31", "95")) == "pop[0].latitude"


def test_a_bad_colo_is_named(tmp_path):
    assert error_key(tmp_path, POP.replace('"AMS"', '"amsterdam"')) == "pop[0].colo"


def test_a_colo_declared_twice_is_named(tmp_path):
    assert error_key(tmp_path, POP + POP) == "pop[1].colo"


def test_a_bad_client_cidr_is_named(tmp_path):
    text = POP + '[[client]]\ncidr = "nope"\nlatitude = 1\nlongitude = 1\n'
    assert error_key(tmp_path, text) == "client[0].cidr"


def test_an_unknown_top_level_key_is_named(tmp_path):
    assert error_key(tmp_path, POP + "[extras]\na = 1\n") == "extras"


def test_distance_between_london_and_paris_is_about_344_km():
    assert distance_km(Location(51.5074, -0.1278), Location(48.8566, 2.3522)) == pytest.approx(
        344, abs=2
    )


def test_the_default_topology_has_an_upper_tier():
    assert DEFAULT_TOPOLOGY.upper_tier == UpperTierConfig("popcache-upper")


def test_a_topology_file_has_an_upper_tier_unless_it_says_otherwise(tmp_path):
    assert load(tmp_path, POP).upper_tier == UpperTierConfig()


def test_a_topology_file_can_turn_the_upper_tier_off(tmp_path):
    assert load(tmp_path, POP + "[upper_tier]\nenabled = false\n").upper_tier is None


def test_a_topology_file_can_name_the_upper_tier(tmp_path):
    topology = load(tmp_path, POP + '[upper_tier]\nname = "ams-upper"\n')
    assert topology.upper_tier == UpperTierConfig("ams-upper")


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('[upper_tier]\nenabled = "no"\n', "upper_tier.enabled"),
        ('[upper_tier]\nname = "two words"\n', "upper_tier.name"),
        ("[upper_tier]\ncolo = 1\n", "upper_tier.colo"),
        ("upper_tier = 1\n", "upper_tier"),
    ],
)
def test_a_bad_upper_tier_table_is_named(tmp_path, table, key):
    assert error_key(tmp_path, table + POP) == key
