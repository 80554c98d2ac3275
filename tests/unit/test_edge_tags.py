"""The edge gathers cache tags from Cache-Groups, Cache-Tag and Surrogate-Key within Cloudflare's
limits, so that every stored tag survives the comma-joined Cache-Tag header."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tags import MAX_TAG_BYTES, MAX_TAGS_HEADER_BYTES, TAG_HEADERS, response_tags, tag_header


def _tags(cache_groups=None, cache_tag=None, surrogate_key=None, extra=()):
    return response_tags(
        cache_groups=cache_groups, cache_tag=cache_tag, surrogate_key=surrogate_key, extra=extra
    )


def test_no_tag_headers_give_no_tags():
    assert _tags() == ()


def test_cache_groups_is_a_list_of_strings_rfc9875_2():
    assert _tags(cache_groups='"products", "home"') == ("products", "home")


def test_cache_groups_parameters_are_ignored_rfc9875_2():
    assert _tags(cache_groups='"a";revalidate, "b";x=1') == ("a", "b")


@pytest.mark.parametrize(
    "cache_groups",
    ['"a", b', '"a", 1', '"a", ("b")', '"a", ?1', '"a", :YQ==:', '"a",', '"a" "b"', "'a'"],
)
def test_cache_groups_that_is_not_a_list_of_strings_is_ignored_whole_rfc8941_2(cache_groups):
    assert _tags(cache_groups=cache_groups, cache_tag="kept") == ("kept",)


def test_cache_tag_is_comma_separated_and_trimmed():
    assert _tags(cache_tag=" a , b,,c, ") == ("a", "b", "c")


def test_surrogate_key_is_space_separated():
    assert _tags(surrogate_key=" a  b\tc ") == ("a", "b", "c")


def test_tags_are_lower_cased_as_cloudflare_compares_them_case_insensitively():
    assert _tags(cache_tag="Product-42,PRODUCT-42") == ("product-42",)


def test_order_is_extra_then_cache_groups_then_cache_tag_then_surrogate_key():
    assert _tags(extra=["class:hot"], cache_groups='"g"', cache_tag="t", surrogate_key="s") == (
        "class:hot",
        "g",
        "t",
        "s",
    )


def test_duplicates_keep_the_first_occurrence():
    assert _tags(extra=["b"], cache_groups='"a", "b"', cache_tag="c,a", surrogate_key="b d") == (
        "b",
        "a",
        "c",
        "d",
    )


@pytest.mark.parametrize(
    "tag",
    [
        "has,comma",
        "has space",
        "tab\there",
        "nul\x00",
        "del\x7f",
        "c1\x9bx",
        "nel\x85",
        "\xa0nbsp",
        "lone\ud800",
    ],
)
def test_tags_that_cannot_round_trip_through_cache_tag_are_dropped(tag):
    assert _tags(extra=[tag, "ok"]) == ("ok",)


def test_non_ascii_tags_are_kept_in_lower_case():
    assert _tags(cache_tag="Café") == ("café",)


def test_a_tag_of_max_tag_bytes_is_kept_and_a_longer_one_dropped():
    fits, too_long = "a" * MAX_TAG_BYTES, "b" * (MAX_TAG_BYTES + 1)
    assert _tags(cache_tag=f"{fits},{too_long}") == (fits,)


def test_tag_length_counts_utf8_bytes():
    assert _tags(cache_tag="é" * (MAX_TAG_BYTES // 2 + 1) + ",ok") == ("ok",)


def test_tags_stop_once_the_joined_header_would_pass_16_kb():
    many = [f"{index:07d}" for index in range(3000)]  # 8 bytes each with its comma
    tags = _tags(cache_tag=",".join(many))
    assert tags == tuple(many[: (MAX_TAGS_HEADER_BYTES + 1) // 8])
    assert len(tag_header(tags).encode()) <= MAX_TAGS_HEADER_BYTES


def test_extra_tags_come_first_so_a_full_header_keeps_them():
    tags = _tags(extra=["class:hot"], cache_tag=",".join(f"t{index}" for index in range(5000)))
    assert tags[0] == "class:hot"


def test_tag_header_joins_with_commas():
    assert tag_header(["a", "b"]) == "a,b"


def test_tag_headers_are_the_three_sources():
    assert {"cache-groups", "cache-tag", "surrogate-key"} == TAG_HEADERS


_HEADER = st.none() | st.text() | st.text(alphabet=st.sampled_from(list('"a, \t;=B\x00é(')))
_HUGE = st.integers(min_value=1, max_value=40_000).map(lambda size: ("Tag," * size)[:size])


@given(
    cache_groups=_HEADER | _HUGE.map(lambda text: f'"{text}"'),
    cache_tag=_HEADER | _HUGE,
    surrogate_key=_HEADER | _HUGE,
    extra=st.lists(st.text()),
)
def test_response_tags_never_raise_and_stay_within_limits(
    cache_groups, cache_tag, surrogate_key, extra
):
    tags = _tags(cache_groups, cache_tag, surrogate_key, extra)
    assert len(tag_header(tags).encode()) <= MAX_TAGS_HEADER_BYTES
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert 0 < len(tag.encode()) <= MAX_TAG_BYTES
        assert tag == tag.lower()
        assert "," not in tag
        assert tag == tag.strip()


@given(st.lists(st.from_regex(r"[a-z0-9:_-]{1,20}", fullmatch=True), unique=True, max_size=50))
def test_clean_tags_survive_each_source_unchanged(names):
    assert _tags(cache_tag=",".join(names)) == tuple(names)
    assert _tags(surrogate_key=" ".join(names)) == tuple(names)
    assert _tags(cache_groups=", ".join(f'"{name}"' for name in names)) == tuple(names)
