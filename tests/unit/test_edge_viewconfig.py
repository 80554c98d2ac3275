"""[views.<name>] in routes.toml names a composition served at /_edge/views/<name>: its query
parameters, its parts (storefront URLs a batch item could ask for), a JSON template and a
budget; a mistake fails the load with one line naming the file, the view and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from routes import RoutesError, load_routes
from template import holes, render
from viewconfig import PLACE_VARIABLES, Part, View

SHIPPED = Path(__file__).parents[2] / "edge" / "routes.toml"


def views(*lines: str) -> tuple[View, ...]:
    return load_routes("\n".join(lines), "f.toml").views


def view(*lines: str, parts: str = 'parts = { p = "/api/x" }') -> View:
    """The one view 'v' with ``parts`` and ``lines`` in its table."""
    [found] = views("[views.v]", parts, *lines)
    return found


def error(*lines: str) -> str:
    with pytest.raises(RoutesError) as raised:
        views(*lines)
    message = str(raised.value)
    assert "\n" not in message
    return message


def view_error(*lines: str, parts: str = 'parts = { p = "/api/x" }') -> str:
    return error("[views.v]", parts, *lines)


def part_error(url: str, *lines: str) -> str:
    """The refusal of a view whose one part 'p' has ``url`` (a TOML literal string)."""
    return view_error(*lines, parts=f"parts = {{ p = '{url}' }}")


# The shipped file


def test_the_shipped_routes_file_has_the_pdp_view():
    [pdp] = load_routes(SHIPPED.read_text(), str(SHIPPED)).views
    assert pdp.name == "pdp"
    assert [part.name for part in pdp.parts] == ["product", "stock", "price", "recommendations"]


def test_the_shipped_pdp_view_takes_a_sku_matching_its_pattern():
    [pdp] = load_routes(SHIPPED.read_text()).views
    [(name, pattern)] = pdp.params
    assert name == "sku"
    assert pattern.fullmatch("SKU-123") is not None
    assert pattern.fullmatch("../admin") is None


def test_the_shipped_pdp_view_has_optional_recommendations_near_the_client():
    [pdp] = load_routes(SHIPPED.read_text()).views
    assert pdp.parts[-1] == Part(
        "recommendations", "/api/recommendations?lat={lat}&lon={lon}&limit=4", True
    )
    assert not any(part.optional for part in pdp.parts[:-1])


def test_the_shipped_pdp_template_names_only_its_parts_and_parameters():
    [pdp] = load_routes(SHIPPED.read_text()).views
    names = {part.name for part in pdp.parts} | {"sku", *PLACE_VARIABLES}
    assert set(holes(pdp.template)) <= names
    assert pdp.template["price"] == "{{ price.prices.0 }}"


def test_a_file_without_views_has_none():
    assert load_routes("").views == ()


# Parts


def test_a_part_given_as_a_string_is_its_url_and_required():
    assert view().parts == (Part("p", "/api/x", False),)


def test_a_part_given_as_a_table_may_be_optional():
    found = view(parts='parts = { p = { url = "/api/x", optional = true } }')
    assert found.parts == (Part("p", "/api/x", True),)


def test_a_part_table_without_optional_is_required():
    assert view(parts='parts = { p = { url = "/api/x" } }').parts == (Part("p", "/api/x"),)


def test_parts_keep_their_file_order():
    found = view(parts='parts = { b = "/api/b", a = "/api/a", c = "/api/c" }')
    assert [part.name for part in found.parts] == ["b", "a", "c"]


def test_a_part_url_may_use_the_views_parameters_and_the_place_variables():
    found = view(
        'params = { sku = "[A-Z]+" }',
        parts="parts = { p = '/api/x/{sku}?lat={lat}&lon={lon}&zone={zone}' }",
    )
    assert found.parts[0].url == "/api/x/{sku}?lat={lat}&lon={lon}&zone={zone}"


def test_part_urls_follow_the_batch_prefixes():
    found = views('[batch]\nprefixes = ["/v2/"]', '[views.v]\nparts = { p = "/v2/x" }')
    assert found[0].parts[0].url == "/v2/x"


def test_twenty_parts_are_allowed():
    parts = ", ".join(f'p{n} = "/api/{n}"' for n in range(20))
    assert len(view(parts=f"parts = {{ {parts} }}").parts) == 20


# Parameters, template and budget


def test_params_are_compiled_patterns_in_file_order():
    found = view('params = { sku = "[A-Z]+", page = "[0-9]{1,3}" }')
    assert [(name, pattern.pattern) for name, pattern in found.params] == [
        ("sku", "[A-Z]+"),
        ("page", "[0-9]{1,3}"),
    ]


def test_a_view_without_params_has_none():
    assert view().params == ()


def test_the_default_template_puts_each_part_under_its_name():
    found = view(parts='parts = { a = "/api/a", b = "/api/b" }')
    assert found.template == {"a": "{{ a }}", "b": "{{ b }}"}
    assert render(found.template, {"a": [1], "b": {"x": None}}) == {"a": [1], "b": {"x": None}}


def test_a_template_table_may_hold_any_shape_of_json():
    found = view('template = { a = ["{{ p }}", 1, { at = "{{ lat }},{{ lon }}" }, true] }')
    assert found.template == {"a": ["{{ p }}", 1, {"at": "{{ lat }},{{ lon }}"}, True]}


@pytest.mark.parametrize("template", ['template = ["{{ p }}"]', 'template = "{{ p }}"'])
def test_a_template_that_is_not_a_table_is_refused(template):
    assert "key 'template': must be a table" in view_error(template)


def test_a_template_may_not_use_the_pending_member_the_edge_fills():
    assert "without a 'pending' member" in view_error('template = { pending = "{{ p }}" }')


def test_the_default_budget_is_250ms():
    assert view().budget == 0.25


@pytest.mark.parametrize(("budget", "seconds"), [('"2s"', 2.0), ('"30s"', 30.0), ("0.1", 0.1)])
def test_a_budget_is_a_duration_up_to_30_seconds(budget, seconds):
    assert view(f"budget = {budget}").budget == seconds


def test_views_keep_their_file_order():
    found = views('[views.b]\nparts = { p = "/api/b" }', '[views.a]\nparts = { p = "/api/a" }')
    assert [v.name for v in found] == ["b", "a"]


# Refusals: names and shape


@pytest.mark.parametrize("name", ["Bad", "-x", "_x", "a b", "a.b", "é", "x" * 65])
def test_a_view_name_must_be_lower_case_letters_digits_and_dashes(name):
    message = error(f'[views."{name}"]', 'parts = { p = "/api/x" }')
    assert message.startswith(f"f.toml: [views.{name}]: a view name is 1-64 of a-z, 0-9")


def test_a_view_name_of_64_characters_is_allowed():
    assert views(f"[views.{'x' * 64}]", 'parts = { p = "/api/x" }')[0].name == "x" * 64


def test_views_that_are_not_a_table_are_refused():
    assert error("views = 1") == "f.toml: [views]: expected a table, got an integer"


def test_a_view_that_is_not_a_table_is_refused():
    assert error('views = { v = "/api/x" }').startswith("f.toml: [views.v]: expected a table")


def test_a_view_without_parts_is_refused():
    assert error("[views.v]", "budget = 1") == "f.toml: [views.v]: missing key 'parts'"


@pytest.mark.parametrize("count", [0, 21])
def test_a_view_has_1_to_20_parts(count):
    parts = ", ".join(f'p{n} = "/api/{n}"' for n in range(count))
    message = view_error(parts=f"parts = {{ {parts} }}")
    assert message == f"f.toml: [views.v]: key 'parts': a view has 1 to 20 parts, got {count}"


def test_an_unknown_view_key_is_refused_suggesting_the_close_one():
    message = view_error('part = { p = "/api/x" }')
    assert message == "f.toml: [views.v]: unknown key 'part' (did you mean 'parts'?)"


def test_an_unknown_part_key_is_refused():
    message = view_error(parts='parts = { p = { uri = "/api/x" } }')
    assert (
        message
        == "f.toml: [views.v]: key 'parts': part 'p': unknown key 'uri' (did you mean 'url'?)"
    )


def test_optional_must_be_a_boolean():
    message = view_error(parts='parts = { p = { url = "/api/x", optional = "yes" } }')
    assert message.startswith("f.toml: [views.v]: key 'parts': part 'p': key 'optional': expected")


@pytest.mark.parametrize("name", ["Product", "1x", "a-b", "é"])
def test_a_part_name_is_lower_case_letters_digits_and_underscores(name):
    message = view_error(parts=f'parts = {{ "{name}" = "/api/x" }}')
    assert message.startswith(f"f.toml: [views.v]: key 'parts': part {name!r}: a part name is")


@pytest.mark.parametrize("part", ['{ url = "" }', "{ url = 1 }", "{ optional = true }", "1", '""'])
def test_a_part_needs_a_url_string(part):
    message = view_error(parts=f"parts = {{ p = {part} }}")
    assert message.startswith("f.toml: [views.v]: key 'parts': part 'p'")


# Refusals: part URLs


@pytest.mark.parametrize("url", ["/pages/help", "/apix", "/", "/_admin/users"])
def test_a_part_url_outside_the_batch_prefixes_is_refused(url):
    message = part_error(url)
    assert message == "f.toml: [views.v]: key 'parts': part 'p': key 'url': must be under '/api/'"


def test_a_part_url_outside_custom_prefixes_is_refused():
    message = error('[batch]\nprefixes = ["/v2/"]', '[views.v]\nparts = { p = "/api/x" }')
    assert message.endswith("must be under '/v2/'")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://evil.example/api/x", "names a host"),
        ("//evil.example/api/x", "another host"),
        ("/api/../admin", "'.' or '..'"),
        ("/api/%2e%2e/admin", "percent-encode"),
        ("/api/x%2f..%2fadmin", "percent-encode"),
        ("/api/x\\y", "backslash"),
        ("/api//x", "empty path segment"),
        ("/api/x#top", "fragment"),
        ("/api/a b", "printable ASCII"),
        ("/api/{sku}/../x", "'.' or '..'"),
    ],
)
def test_a_part_url_with_a_trick_is_refused(url, reason):
    message = part_error(url, 'params = { sku = "[A-Z]+" }')
    assert message.startswith("f.toml: [views.v]: key 'parts': part 'p': key 'url': ")
    assert reason in message


@pytest.mark.parametrize("url", ["/_edge/views/v", "/_edge/batch"])
def test_a_part_url_naming_the_edges_own_endpoints_is_refused_even_under_the_root(url):
    message = error('[batch]\nprefixes = ["/"]', f'[views.v]\nparts = {{ p = "{url}" }}')
    assert "batches do not nest" in message


@pytest.mark.parametrize("url", ["/api/{id}", "/api/{sku.upper}", "/api/{0}", "/api/{}"])
def test_a_placeholder_naming_no_parameter_is_refused(url):
    message = part_error(url, 'params = { sku = "[A-Z]+" }')
    assert message.startswith("f.toml: [views.v]: key 'parts': part 'p': key 'url': {")
    assert message.endswith("is not a parameter of the view")


@pytest.mark.parametrize("url", ["/api/{sku", "/api/sku}", "/api/{sku}}"])
def test_an_unbalanced_brace_in_a_part_url_is_refused(url):
    message = part_error(url, 'params = { sku = "[A-Z]+" }')
    assert message.startswith("f.toml: [views.v]: key 'parts': part 'p': key 'url': ")


# Refusals: parameters


@pytest.mark.parametrize("name", PLACE_VARIABLES)
def test_a_parameter_named_like_a_place_variable_is_refused(name):
    message = view_error(f'params = {{ {name} = "[0-9]+" }}')
    assert message.startswith(f"f.toml: [views.v]: key 'params': {name!r} is not a parameter name")


@pytest.mark.parametrize("name", ["Sku", "1a", "a-b", "x" * 33])
def test_a_parameter_name_is_lower_case_letters_digits_and_underscores(name):
    message = view_error(f'params = {{ "{name}" = "[0-9]+" }}')
    assert message.startswith(f"f.toml: [views.v]: key 'params': {name!r} is not a parameter name")


def test_a_parameter_named_like_a_part_is_refused():
    message = view_error('params = { p = "[0-9]+" }')
    assert message == "f.toml: [views.v]: key 'parts': 'p' is also a parameter's name"


@pytest.mark.parametrize("name", PLACE_VARIABLES)
def test_a_part_named_like_a_place_variable_is_refused(name):
    message = view_error(parts=f'parts = {{ {name} = "/api/x" }}')
    assert message == f"f.toml: [views.v]: key 'parts': {name!r} is also a parameter's name"


@pytest.mark.parametrize("pattern", ["'['", "'(?P<'", "'a{2,1}'", "'*'"])
def test_a_parameter_pattern_must_be_a_regular_expression(pattern):
    message = view_error(f"params = {{ sku = {pattern} }}")
    assert message.startswith("f.toml: [views.v]: key 'params': 'sku': not a regular expression")


@pytest.mark.parametrize("pattern", ["1", '""', "[]"])
def test_a_parameter_pattern_must_be_a_non_empty_string(pattern):
    message = view_error(f"params = {{ sku = {pattern} }}")
    assert message.startswith("f.toml: [views.v]: key 'params': 'sku': expected a non-empty string")


def test_params_must_be_a_table():
    assert view_error('params = ["sku"]').startswith(
        "f.toml: [views.v]: key 'params': expected a table"
    )


# Refusals: template and budget


@pytest.mark.parametrize(
    "template",
    [
        'template = { a = "{{ nope }}" }',
        'template = { a = "price: {{ nope.amount }} EUR" }',
        'template = { a = [1, ["{{ nope }}"]] }',
        'template = { a = { b = "{{ nope }}" } }',
    ],
)
def test_a_template_hole_naming_no_part_or_parameter_is_refused(template):
    message = view_error(template)
    assert message == "f.toml: [views.v]: key 'template': '{{ nope }}' names no part or parameter"


@pytest.mark.parametrize(
    "template",
    [
        "template = { at = 1979-05-27 }",
        "template = { at = 07:32:00 }",
        "template = { at = 1979-05-27T07:32:00Z }",
        "template = { a = [1, [1979-05-27]] }",
        "template = { x = nan }",
        "template = { x = inf }",
        "template = { x = [-inf] }",
    ],
    ids=["date", "time", "datetime", "nested-date", "nan", "inf", "nested-inf"],
)
def test_a_template_value_json_cannot_express_is_refused(template):
    message = view_error(template)
    assert message.startswith("f.toml: [views.v]: key 'template': ")
    assert "not a JSON" in message


@pytest.mark.parametrize("budget", ["0", '"0s"', '"0ms"', '"31s"', "30.5", '"1m"'])
def test_a_budget_must_be_more_than_0_and_at_most_30_seconds(budget):
    message = view_error(f"budget = {budget}")
    assert message == "f.toml: [views.v]: key 'budget': must be more than 0 and at most 30s"


@pytest.mark.parametrize("budget", ["-1", '"fast"', "true"])
def test_a_budget_must_be_a_duration(budget):
    assert view_error(f"budget = {budget}").startswith("f.toml: [views.v]: key 'budget': ")
