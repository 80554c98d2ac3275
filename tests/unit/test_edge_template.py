"""A view template is a JSON document with {{ name.path }} holes: a string that is one hole
becomes the value it names, a hole inside a longer string becomes that value's text, and a path
that leads nowhere is null. Nothing else: no loops, no conditions, no way to raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from template import holes, render

VALUES = {
    "product": {"name": "Lamp", "price": {"amount": 12.5, "currency": "EUR"}, "tags": ["a", "b"]},
    "stock": {"items": [{"store": "s1", "qty": 3}, {"store": "s2", "qty": 0}], "total_qty": 3},
    "sku": "SKU-1",
    "lat": 48.85,
    "zone": None,
    "empty": [],
}


# A whole-string hole


@pytest.mark.parametrize(
    ("template", "value"),
    [
        ("{{ product }}", VALUES["product"]),
        ("{{ stock.items }}", VALUES["stock"]["items"]),
        ("{{ stock.total_qty }}", 3),
        ("{{ lat }}", 48.85),
        ("{{ zone }}", None),
        ("{{ sku }}", "SKU-1"),
        ("{{ empty }}", []),
    ],
    ids=["object", "list", "integer", "float", "null", "string", "empty-list"],
)
def test_a_string_that_is_one_hole_becomes_the_json_value_it_names(template, value):
    assert render(template, VALUES) == value


@pytest.mark.parametrize("template", ["{{product}}", "{{  product  }}", "{{\tproduct\n}}"])
def test_spaces_inside_the_braces_do_not_matter(template):
    assert render(template, VALUES) == VALUES["product"]


def test_a_dotted_path_reads_object_members():
    assert render("{{ product.price.currency }}", VALUES) == "EUR"


def test_a_digit_segment_reads_a_list_element():
    assert render("{{ stock.items.1.store }}", VALUES) == "s2"


def test_a_digit_segment_reads_an_object_member_named_by_digits():
    assert render("{{ a.0 }}", {"a": {"0": "zero"}}) == "zero"


@pytest.mark.parametrize(
    "template",
    [
        "{{ missing }}",
        "{{ product.missing }}",
        "{{ product.name.first }}",
        "{{ stock.items.2 }}",
        "{{ stock.items.store }}",
        "{{ product.tags.-1 }}",
        "{{ zone.id }}",
        "{{ lat.0 }}",
        "{{ sku.0 }}",
    ],
)
def test_a_path_that_leads_nowhere_is_null(template):
    assert render(template, VALUES) is None


def test_a_list_index_far_past_the_end_is_null_not_an_error():
    assert render("{{ empty." + "9" * 5000 + " }}", VALUES) is None


def test_a_leading_zero_index_still_names_the_element():
    assert render("{{ product.tags.01 }}", VALUES) == "b"


# Holes inside longer strings


def test_a_string_value_is_interpolated_as_it_is():
    assert render("sku: {{ sku }}!", VALUES) == "sku: SKU-1!"


def test_a_null_value_is_interpolated_as_nothing():
    assert render("zone=[{{ zone }}]", VALUES) == "zone=[]"


def test_a_missing_value_is_interpolated_as_nothing():
    assert render("x{{ nope.deeper }}y", VALUES) == "xy"


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("qty {{ stock.total_qty }}", "qty 3"),
        ("at {{ lat }}", "at 48.85"),
        ("price {{ product.price }}", 'price {"amount":12.5,"currency":"EUR"}'),
        ("tags {{ product.tags }}", 'tags ["a","b"]'),
        ("flag {{ b }}", "flag true"),
        ("name {{ u }}", 'name {"n":"Zoë"}'),
    ],
)
def test_other_values_are_interpolated_as_compact_json(template, text):
    assert render(template, {**VALUES, "b": True, "u": {"n": "Zoë"}}) == text


def test_several_holes_in_one_string_are_all_filled():
    assert render("{{ sku }}/{{ lat }}/{{ zone }}/{{ sku }}", VALUES) == "SKU-1/48.85//SKU-1"


def test_a_hole_next_to_text_without_spaces_is_interpolated():
    assert render("[{{sku}}]", VALUES) == "[SKU-1]"


def test_a_hole_with_spaces_around_it_is_interpolated_not_replaced():
    assert render(" {{ lat }}", VALUES) == " 48.85"


def test_interpolated_text_is_not_read_again_as_a_hole():
    assert render("x {{ s }}", {"s": "{{ sku }}"}) == "x {{ sku }}"


# What is not a hole


@pytest.mark.parametrize(
    "template",
    ["{{ 1x }}", "{{ a b }}", "{{ a..b }}", "{{ }}", "{ sku }", "{{ sku }", "{{ sku.}}", "plain"],
)
def test_a_string_without_a_valid_hole_is_left_as_it_is(template):
    assert render(template, VALUES) == template


@pytest.mark.parametrize("template", [1, 2.5, True, False, None])
def test_a_non_string_template_value_is_left_as_it_is(template):
    assert render(template, VALUES) is template


# Documents


def test_holes_are_filled_throughout_nested_objects_and_lists():
    template = {
        "sku": "{{ sku }}",
        "lines": [{"store": "{{ stock.items.0.store }}", "n": 1}, "{{ zone }}", ["x {{ sku }}"]],
        "fixed": {"keep": True},
    }
    assert render(template, VALUES) == {
        "sku": "SKU-1",
        "lines": [{"store": "s1", "n": 1}, None, ["x SKU-1"]],
        "fixed": {"keep": True},
    }


def test_object_keys_are_not_templates():
    assert render({"{{ sku }}": 1}, VALUES) == {"{{ sku }}": 1}


def test_rendering_leaves_the_template_unchanged():
    template = {"a": ["{{ sku }}"]}
    render(template, VALUES)
    assert template == {"a": ["{{ sku }}"]}


# holes()


def test_holes_lists_each_name_a_template_refers_to_in_order():
    template = {"a": "{{ x.y }}", "b": ["{{ y }} and {{ z.0 }}", 1, {"c": "{{x}}"}], "d": None}
    assert list(holes(template)) == ["x", "y", "z", "x"]


@pytest.mark.parametrize("template", [{}, [], "plain", 1, None, "{{ 1x }}", {"{{ key }}": 1}])
def test_a_template_without_holes_lists_none(template):
    assert list(holes(template)) == []


# Property: render never raises

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.sampled_from(["a", "b", "_x", "Z9"])
SEGMENTS = st.lists(
    st.sampled_from(["0", "1", "01", "a", "b", "-", "x_y", "99999999999999999999", "9" * 5000]),
    max_size=3,
)
HOLES = st.builds(
    lambda name, path, before, after, spaces: (
        f"{before}{{{{{spaces}{name}{''.join('.' + s for s in path)}{spaces}}}}}{after}"
    ),
    NAMES,
    SEGMENTS,
    st.sampled_from(["", "x ", "{{ ", "{"]),
    st.sampled_from(["", " y", " }}", "}"]),
    st.sampled_from(["", " ", "  "]),
)
TEMPLATES = st.recursive(
    JSON | HOLES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(TEMPLATES, st.dictionaries(NAMES | st.text(max_size=3), JSON, max_size=4))
def test_render_never_raises_for_any_template_and_values(template, values):
    render(template, values)
    assert all(name.isidentifier() for name in holes(template))
