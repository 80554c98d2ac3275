"""Structured Field Values are parsed exactly as RFC 8941 §4.2 says; anything else is SFVError."""

from contextlib import suppress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sfv import InnerList, Item, SFVError, Token, parse_dictionary, parse_list


def test_list_of_strings_tokens_and_integers_rfc8941_3_1():
    assert parse_list('"a", b, 3') == [Item("a", {}), Item(Token("b"), {}), Item(3, {})]


def test_tokens_and_strings_are_told_apart_by_type_rfc8941_3_3_4():
    string, token = parse_list('"x", x')
    assert type(string.value) is str
    assert type(token.value) is Token


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        ("-42", -42),
        ("999999999999999", 999_999_999_999_999),
        ("1.5", 1.5),
        ("-0.125", -0.125),
        ("123456789012.123", 123456789012.123),
        ('"say \\"hi\\" \\\\ bye"', 'say "hi" \\ bye'),
        ('""', ""),
        ("*tok:/en.x", Token("*tok:/en.x")),
        (":aGVsbG8=:", b"hello"),
        ("::", b""),
        ("?1", True),
        ("?0", False),
    ],
)
def test_bare_items_rfc8941_4_2_3_1(value, expected):
    [item] = parse_list(value)
    assert item == Item(expected, {})
    assert type(item.value) is type(expected)


def test_byte_sequence_without_padding_is_accepted_rfc8941_4_2_7():
    assert parse_list(":aGVsbG8:") == [Item(b"hello", {})]


def test_parameters_attach_to_items_and_a_bare_parameter_is_true_rfc8941_4_2_3_2():
    assert parse_list("a;q=0.5;x, b") == [
        Item(Token("a"), {"q": 0.5, "x": True}),
        Item(Token("b"), {}),
    ]


def test_a_repeated_parameter_keeps_the_last_value_rfc8941_4_2_3_2():
    assert parse_list("a;q=1;q=2") == [Item(Token("a"), {"q": 2})]


def test_inner_lists_carry_items_and_their_own_parameters_rfc8941_4_2_1_2():
    assert parse_list('( "a" b;x=1 );p, ()') == [
        InnerList((Item("a", {}), Item(Token("b"), {"x": 1})), {"p": True}),
        InnerList((), {}),
    ]


def test_ows_around_commas_and_leading_trailing_sp_are_discarded_rfc8941_4_2():
    assert parse_list("  a \t,\t b  ") == [Item(Token("a"), {}), Item(Token("b"), {})]


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_field_is_an_empty_list_rfc8941_4_2_1(value):
    assert parse_list(value) == []


def test_dictionary_members_and_bare_keys_are_true_rfc8941_4_2_2():
    assert parse_dictionary("max-age=60, no-store, private;x") == {
        "max-age": Item(60, {}),
        "no-store": Item(True, {}),
        "private": Item(True, {"x": True}),
    }


def test_dictionary_duplicate_key_last_wins_in_first_place_rfc8941_4_2_2():
    parsed = parse_dictionary("a=1, b=2, a=3")
    assert parsed == {"a": Item(3, {}), "b": Item(2, {})}
    assert list(parsed) == ["a", "b"]


def test_dictionary_values_can_be_inner_lists_rfc8941_4_2_2():
    assert parse_dictionary("k=(1 2)") == {"k": InnerList((Item(1, {}), Item(2, {})), {})}


@pytest.mark.parametrize(
    "value",
    [
        "1234567890123456",  # integer over 15 digits, §4.2.4
        "1234567890123.1",  # decimal with over 12 integer digits, §4.2.4
        "1.1234",  # decimal with over 3 fractional digits, §4.2.4
        "1.",  # decimal ending in ".", §4.2.4
        "-",  # sign without digits, §4.2.4
        "1.2.3",  # a second "." ends the number, leaving junk
        '"unterminated',  # §4.2.5
        '"bad \\n escape"',  # only \" and \\ may be escaped, §4.2.5
        '"tab\tinside"',  # control character in a string, §4.2.5
        ":aGVsbG8=",  # unterminated byte sequence, §4.2.7
        ":a#b:",  # non-base64 character, §4.2.7
        "?2",  # §4.2.8
        "?",  # §4.2.8
        "a,",  # trailing comma, §4.2.1
        "a,,b",  # empty member, §4.2.1
        "a b",  # missing comma, §4.2.1
        "(a b",  # unterminated inner list, §4.2.1.2
        "(a,b)",  # inner list items are space-separated, §4.2.1.2
        "a;Q=1",  # keys are lower-case, §4.2.3.3
        "@1",  # not a bare item in RFC 8941, §4.2.3.1
        '"caf\u00e9"',  # not ASCII, §4.2 step 1
        "\ta",  # only SP is discarded before the field, §4.2 step 2
    ],
)
def test_invalid_lists_raise_sfverror_rfc8941_4_2(value):
    with pytest.raises(SFVError):
        parse_list(value)


@pytest.mark.parametrize(
    "value",
    ["A=1", "a=", "a=1,", "a=1 b=2", "=1", "a=1;", "a==1"],
)
def test_invalid_dictionaries_raise_sfverror_rfc8941_4_2_2(value):
    with pytest.raises(SFVError):
        parse_dictionary(value)


def test_sfverror_is_a_valueerror():
    assert issubclass(SFVError, ValueError)


_SFV_TEXT = st.text(alphabet=st.sampled_from(list(' \t,;=()"\\:?*-.01239aAz/@%é\x00')))


@given(st.one_of(st.text(), _SFV_TEXT))
def test_parse_list_raises_nothing_but_sfverror(value):
    with suppress(SFVError):
        parse_list(value)


@given(st.one_of(st.text(), _SFV_TEXT))
def test_parse_dictionary_raises_nothing_but_sfverror(value):
    with suppress(SFVError):
        parse_dictionary(value)


def _serialise(value):
    """A test-only serialiser of bare items (RFC 8941 §4.1.3-§4.1.6)."""
    if isinstance(value, Token):
        return value
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


_TOKENS = st.from_regex(r"[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_`|~:/]*", fullmatch=True).map(Token)
_STRINGS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E))
_INTEGERS = st.integers(min_value=-999_999_999_999_999, max_value=999_999_999_999_999)


@given(st.lists(st.one_of(_TOKENS, _STRINGS, _INTEGERS)), st.sampled_from([",", ", ", " ,\t"]))
def test_simple_lists_round_trip(values, separator):
    parsed = parse_list(separator.join(_serialise(value) for value in values))
    assert [item.value for item in parsed] == values
    assert [type(item.value) for item in parsed] == [type(value) for value in values]
    assert all(isinstance(item, Item) and item.params == {} for item in parsed)
