"""Vary at the edge: which request fields a response may vary on, and their normalised values."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from variants import (
    marker,
    normalize_accept_encoding,
    normalize_accept_language,
    read_marker,
    variant_id,
    vary_fields,
)

ALLOWED = frozenset({"accept-encoding", "accept-language", "x-device"})


@pytest.mark.parametrize(
    ("vary", "expected"),
    [
        (None, ()),
        ("", ()),
        (" , ", ()),
        ("Accept-Encoding", ("accept-encoding",)),
        (
            "accept-language,Accept-Encoding, ACCEPT-ENCODING",
            ("accept-encoding", "accept-language"),
        ),
        ("x-device ,\taccept-encoding", ("accept-encoding", "x-device")),
        ("*", None),
        ("accept-encoding, *", None),
        ("Cookie", None),
        ("accept-encoding, User-Agent", None),
    ],
)
def test_vary_names_allowlisted_fields_or_is_not_storable(vary, expected):
    assert vary_fields(vary, ALLOWED) == expected


def test_the_vary_allowlist_is_case_insensitive():
    assert vary_fields("x-device", frozenset({"X-Device"})) == ("x-device",)


def headers(**fields):
    return lambda name: fields.get(name.replace("-", "_"))


def test_a_variant_id_is_the_generation_and_16_hex_digits():
    assert re.fullmatch(r"g7\.[0-9a-f]{16}", variant_id(("x-device",), headers(x_device="m"), "g7"))


def test_a_variant_id_is_the_same_in_every_isolate_and_release():
    assert variant_id(("x-device",), headers(x_device="m"), "g1") == "g1.64691c9bfcd217b7"


@pytest.mark.parametrize(
    ("field", "one", "other"),
    [
        ("accept-encoding", "gzip, deflate, br", "br;q=1,gzip;q=0.8"),
        ("accept-encoding", "gzip", "gzip, compress"),
        ("accept-language", "en-US,en;q=0.9,fr;q=0.8", "EN-us"),
        ("x-device", "  mobile\t  phone ", "mobile phone"),
    ],
)
def test_equivalent_values_share_a_variant(field, one, other):
    def single(value):
        return lambda name: value if name == field else None

    assert variant_id((field,), single(one), "g") == variant_id((field,), single(other), "g")


@pytest.mark.parametrize(
    ("field", "one", "other"),
    [
        ("accept-encoding", "gzip", "br"),
        ("accept-encoding", None, ""),
        ("accept-language", None, ""),
        ("x-device", None, ""),
        ("x-device", "mobile", "Mobile"),
    ],
)
def test_different_values_get_different_variants(field, one, other):
    def single(value):
        return lambda name: value if name == field else None

    assert variant_id((field,), single(one), "g") != variant_id((field,), single(other), "g")


def test_the_generation_changes_the_variant():
    assert variant_id((), headers(), "g1") != variant_id((), headers(), "g2")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br,gzip,zstd"),
        ("BR;q=0.5, GZip", "br,gzip"),
        ("*", "br,gzip,zstd"),
        ("*;q=0", ""),
        ("gzip;q=0, *", "br,zstd"),
        ("br;q=0", ""),
        ("br;q=0.000, gzip;q=0.001", "gzip"),
        ("identity", ""),
        ("gzip;q=2, br;q=0.5.1, zstd;q=x, compress", ""),
        ("br;q=1.000, gzip ; Q=0.3", "br,gzip"),
        ("gzip;level=9", ""),
        (",,gzip,,", "gzip"),
        ("g zip, br", "br"),
    ],
)
def test_accept_encoding_becomes_the_accepted_codings(value, expected):
    assert normalize_accept_encoding(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("en-US", "en-us"),
        ("fr;q=0.8, en-US;q=0.9, de", "de"),
        ("en, fr", "en"),
        ("fr;q=0.5, en;q=0.5", "fr"),
        ("*", "*"),
        ("de;q=0, *;q=0.1", "*"),
        ("en;q=0", ""),
        ("123, en_US, toolonglang, fr;q=x, de-CH-1901", "de-ch-1901"),
        ("zh-Hant-TW;q=0.7,,", "zh-hant-tw"),
    ],
)
def test_accept_language_becomes_the_most_preferred_range(value, expected):
    assert normalize_accept_language(value) == expected


@given(st.text())
def test_accept_encoding_is_always_a_sorted_subset_of_the_codings(value):
    codings = normalize_accept_encoding(value)
    assert codings == ",".join(sorted(set(codings.split(",")) & {"br", "gzip", "zstd"}))


def test_a_marker_reads_back_as_its_generation_and_fields():
    assert read_marker(marker("g1", ("accept-language", "edge-geo-zone"))) == (
        "g1",
        ("accept-language", "edge-geo-zone"),
    )


@pytest.mark.parametrize("damaged", [None, "", "g1", "g1 ", " accept", "g1 ,"])
def test_a_damaged_marker_reads_as_none(damaged):
    assert read_marker(damaged) is None
