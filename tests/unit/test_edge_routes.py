"""routes.toml names each path's content class; a mistake in it fails the load with one line."""

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from routes import DEFAULT_VARY, ClassPolicy, RoutesError, Rule, Settings, ZoneSettings, load_routes
from routesyntax import MAX_DURATION, compile_pattern, parse_duration

SHIPPED = Path(__file__).parents[2] / "edge" / "routes.toml"
WHERE = "f.toml: rule 1 ('r'): key 'k'"
NOT_A_DURATION = "expected a duration such as '30s' or a number of seconds, got"
NO_UNIT = "expected a number and a unit (ms, s, m, h, d, w) such as '30s', got"


def rule(*lines: str, cls: str = "warm", path: str = "/x") -> str:
    """A file with one rule named 'r', plus ``lines`` inside it."""
    return "\n".join(["[[rule]]", 'name = "r"', f'path = "{path}"', f'class = "{cls}"', *lines])


def error(text: str) -> str:
    with pytest.raises(RoutesError) as raised:
        load_routes(text, "f.toml")
    return str(raised.value)


# The classes


@pytest.mark.parametrize(
    "policy",
    [
        ClassPolicy("hot", True, 5.0, "cap", 5.0, 60.0, "no-store", 5.0, "zone", budget=0.5),
        ClassPolicy("warm", True, 300.0, "honour", 60.0, 3600.0, None, 10.0, "city", budget=1.0),
        ClassPolicy(
            "cold", True, 86400.0, "honour", 86400.0, 604800.0, None, 15.0, "global", budget=2.0
        ),
        ClassPolicy("bypass", False, None, "honour", 0.0, 0.0, None, 10.0, "zone"),
        ClassPolicy("origin", True, None, "honour", 0.0, 0.0, None, 10.0, "global"),
    ],
    ids=lambda policy: policy.name,
)
def test_each_class_has_its_documented_defaults(policy):
    assert load_routes("").policy(policy.name) == policy


def test_an_unknown_class_name_is_a_key_error():
    with pytest.raises(KeyError):
        load_routes("").policy("tepid")


def test_a_classes_table_overrides_that_class_only():
    routes = load_routes('[classes.warm]\nttl = "2m"\nbrowser = "public, max-age=60"')
    assert routes.policy("warm").ttl == 120.0
    assert routes.policy("warm").browser == "public, max-age=60"
    assert routes.policy("cold") == load_routes("").policy("cold")


@pytest.mark.parametrize("hints", ["honour", "cap", "ignore"])
def test_hints_are_one_of_three_words(hints):
    assert load_routes(rule(f'hints = "{hints}"')).rules[0].policy.hints == hints


def test_browser_origin_means_the_origins_own_cache_control():
    assert load_routes('[classes.hot]\nbrowser = "origin"').policy("hot").browser is None


def test_a_rule_overrides_its_class_on_top_of_the_classes_table():
    routes = load_routes('[classes.hot]\nswr = "1s"\n' + rule('ttl = "3s"', cls="hot"))
    assert routes.rules[0].policy == ClassPolicy(
        "hot", True, 3.0, "cap", 1.0, 60.0, "no-store", 5.0, "zone", budget=0.5
    )
    assert routes.policy("hot").ttl == 5.0


def test_a_rule_may_narrow_or_widen_its_classs_geo_scope():
    routes = load_routes(rule('scope = "zone"\nfallback = "country"', cls="warm"))
    assert (routes.rules[0].policy.scope, routes.rules[0].policy.fallback) == ("zone", "country")


def test_an_unknown_geo_level_is_refused_naming_the_levels():
    assert error(rule('scope = "street"')) == (
        "f.toml: rule 1 ('r'): key 'scope': expected one of zone, city, region, country, "
        "global, got 'street'"
    )


def test_a_fallback_finer_than_the_scope_is_refused():
    assert error('[classes.cold]\nfallback = "city"') == (
        "f.toml: [classes.cold]: key 'fallback': fallback 'city' is finer than scope 'global' "
        "(levels, finest first: zone, city, region, country, global)"
    )


def test_a_bypass_rule_may_set_its_geo_scope_for_the_origins_benefit():
    assert load_routes(rule('scope = "city"', cls="bypass")).rules[0].policy.scope == "city"


def test_the_zones_table_has_its_documented_defaults():
    assert load_routes("").zones == ZoneSettings("zones.geojson", "ZONES", "zones", 30.0, 0.25)


def test_an_empty_zones_file_or_binding_turns_that_source_off():
    zones = load_routes('[zones]\nfile = ""\nkv_binding = ""').zones
    assert (zones.file, zones.kv_binding) == (None, None)


def test_a_first_wait_over_ten_seconds_is_refused():
    assert error('[zones]\nfirst_wait = "11s"') == (
        "f.toml: [zones]: key 'first_wait': must be at most 10 seconds (0: never wait), got '11s'"
    )


def test_an_unknown_zones_key_is_refused():
    assert error("[zones]\nrefesh = 1") == (
        "f.toml: [zones]: unknown key 'refesh' (did you mean 'refresh'?)"
    )


def test_a_bypass_rule_may_set_its_timeout():
    assert load_routes(rule('timeout = "30s"', cls="bypass")).rules[0].policy.timeout == 30.0


# Rules


def test_a_rule_without_a_name_is_named_by_its_path():
    text = '[[rule]]\npath = "/api/stores"\nclass = "warm"'
    assert load_routes(text).rules[0].name == "/api/stores"


def test_methods_default_to_get_and_head():
    assert load_routes(rule()).rules[0].methods == frozenset({"GET", "HEAD"})


def test_methods_are_upper_cased():
    assert load_routes(rule('methods = ["post", "Patch"]')).rules[0].methods == {"POST", "PATCH"}


def test_unmatched_requests_get_the_origin_class_default():
    routes = load_routes('[classes.origin]\nsie = "1m"')
    assert routes.default == Rule("default", "/**", frozenset({"*"}), routes.policy("origin"))
    assert routes.match("DELETE", "/nowhere") is routes.default


MATCHING = """
[[rule]]
name = "post-a"
path = "/a"
methods = ["POST"]
class = "bypass"

[[rule]]
name = "get-a"
path = "/a"
class = "hot"

[[rule]]
name = "any-a"
path = "/a/**"
methods = ["*"]
class = "cold"
"""


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("POST", "/a", "post-a"),  # first in file order
        ("GET", "/a", "get-a"),  # methods not listed fall through to a later rule
        ("HEAD", "/a", "get-a"),  # HEAD is covered by GET
        ("get", "/a", "get-a"),  # methods compare upper-case
        ("PUT", "/a", "any-a"),  # "*" is any method
        ("PUT", "/a/b/c", "any-a"),
        ("GET", "/A", "default"),  # paths are case-sensitive
        ("GET", "/b", "default"),
    ],
)
def test_a_request_gets_the_first_rule_matching_its_method_and_path(method, path, name):
    assert load_routes(MATCHING).match(method, path).name == name


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/", "/", True),
        ("/", "/a", False),
        ("/api/products", "/api/products", True),
        ("/api/products", "/api/products/", False),
        ("/api/products", "/api/product", False),
        ("/api/products/", "/api/products/", True),
        ("/api/:sku", "/api/BEV-COFFEE", True),
        ("/api/:sku", "/api/", False),
        ("/api/:sku", "/api/a/b", False),
        ("/files/*.css", "/files/site.css", True),
        ("/files/*.css", "/files/.css", True),
        ("/files/*.css", "/files/a/site.css", False),
        ("/files/*", "/files/", True),
        ("/a*b*c", "/a-b-c", True),
        ("/help/**", "/help", True),
        ("/help/**", "/help/", True),
        ("/help/**", "/help/a/b", True),
        ("/help/**", "/helpdesk", False),
        ("/**", "/", True),
        ("/**", "/any/thing", True),
        ("/a.b", "/aXb", False),
        ("/a+(b)", "/a+(b)", True),
        ("/a:b", "/a:b", True),
    ],
)
def test_a_path_pattern_matches_whole_paths(pattern, path, matches):
    assert (compile_pattern(pattern, WHERE).fullmatch(path) is not None) == matches


def test_a_rule_built_directly_checks_its_pattern():
    policy = load_routes("").policy("warm")
    with pytest.raises(RoutesError, match=r"^rule 'r': key 'path': must start with '/', got 'x'$"):
        Rule("r", "x", frozenset({"GET"}), policy)


def test_matching_ignores_the_query_because_it_is_given_the_path_alone():
    assert load_routes(rule()).match("GET", "/x?a=1").name == "default"


# Settings


def test_settings_have_defaults():
    assert load_routes("").settings == Settings(
        tracking_params=(),
        vary=DEFAULT_VARY,
        coordinate_params=("lat", "lon", "lng", "latitude", "longitude"),
        geocell_precision=6,
    )
    assert {"accept-encoding", "accept-language", "accept", "edge-geo-zone"} == DEFAULT_VARY


def test_settings_are_read_and_header_names_lower_cased():
    settings = load_routes(
        "[settings]\n"
        'tracking_params = ["ref", "mc_*"]\n'
        'vary = ["Accept-Encoding", "Edge-Geo-Zone"]\n'
        'coordinate_params = ["lat", "lon"]\n'
        "geocell_precision = 5\n"
    ).settings
    assert settings == Settings(
        ("ref", "mc_*"), frozenset({"accept-encoding", "edge-geo-zone"}), ("lat", "lon"), 5
    )


# Durations


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (0, 0.0),
        (30, 30.0),
        (1.5, 1.5),
        ("500ms", 0.5),
        ("30s", 30.0),
        ("2.5s", 2.5),
        ("5m", 300.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1w", 604800.0),
        ("365d", MAX_DURATION),
    ],
)
def test_a_duration_is_seconds_or_a_number_with_a_unit(value, seconds):
    assert parse_duration(value, WHERE) == seconds


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("5", f"{NO_UNIT} '5'"),
        ("5 s", f"{NO_UNIT} '5 s'"),
        ("5S", f"{NO_UNIT} '5S'"),
        ("-5s", f"{NO_UNIT} '-5s'"),
        (".5s", f"{NO_UNIT} '.5s'"),
        ("1e3s", f"{NO_UNIT} '1e3s'"),
        ("1y", f"{NO_UNIT} '1y'"),
        ("", f"{NO_UNIT} ''"),
        (-1, "must not be negative, got -1"),
        (-0.5, "must not be negative, got -0.5"),
        (float("nan"), "must be a finite number of seconds, got nan"),
        (float("inf"), "must be a finite number of seconds, got inf"),
        ("366d", "must be at most a year (365d), got '366d'"),
        (31536001, "must be at most a year (365d), got 31536001"),
        (10**400, f"must be at most a year (365d), got {10**400!r}"),
        (True, f"{NOT_A_DURATION} a boolean"),
        ([5], f"{NOT_A_DURATION} an array"),
        ({"s": 5}, f"{NOT_A_DURATION} a table"),
    ],
)
def test_a_bad_duration_is_refused(value, problem):
    with pytest.raises(RoutesError) as raised:
        parse_duration(value, WHERE)
    assert str(raised.value) == f"{WHERE}: {problem}"


@given(
    st.one_of(
        st.text(),
        st.from_regex(r"[0-9.]{1,30}(ms|s|m|h|d|w)", fullmatch=True),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    )
)
def test_the_duration_parser_refuses_anything_but_a_duration_with_routes_error(value):
    with contextlib.suppress(RoutesError):
        assert 0 <= parse_duration(value, WHERE) <= MAX_DURATION


@given(st.integers(min_value=0, max_value=52), st.sampled_from(["s", "m", "h", "d", "w"]))
def test_a_duration_is_its_number_times_its_unit(number, unit):
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert parse_duration(f"{number}{unit}", WHERE) == number * scale


# Path patterns, as properties

LITERAL = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#*:"))
SEGMENT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/"))


@given(st.text(), st.text())
def test_the_pattern_compiler_refuses_anything_but_a_pattern_with_routes_error(pattern, path):
    with contextlib.suppress(RoutesError):
        compile_pattern(pattern, WHERE).fullmatch(path)


@given(LITERAL.map(lambda text: "/" + text), st.one_of(st.text(), LITERAL.map("/{}".format)))
def test_a_literal_pattern_matches_exactly_itself(pattern, other):
    regex = compile_pattern(pattern, WHERE)
    assert regex.fullmatch(pattern)
    assert (regex.fullmatch(other) is not None) == (other == pattern)


@given(st.lists(SEGMENT, min_size=1, max_size=4))
def test_a_parameter_segment_matches_any_non_empty_segment(segments):
    regex = compile_pattern("/" + "/".join(":p" for _ in segments), WHERE)
    assert (regex.fullmatch("/" + "/".join(segments)) is not None) == ("" not in segments)


# Validation: every error is one line, <source>: <where>: <problem>


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = ", "f.toml: line 1: Invalid value"),
        ("[a]\nx = 1\n[a]\n", "f.toml: line 3: Cannot declare ('a',) twice"),
        ('x = 1\n[[rule]]\npath = "/x\n', "f.toml: line 3: Illegal character '\\n'"),
    ],
)
def test_a_toml_syntax_error_names_its_line(text, message):
    assert error(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules]", "f.toml: top level: unknown key 'rules' (did you mean 'rule'?)"),
        (
            "[zzz]",
            "f.toml: top level: unknown key 'zzz' "
            "(expected settings, classes, rule, zones, batch, views, backpressure, events, purge)",
        ),
        ("[settings]\nvery = []", "f.toml: [settings]: unknown key 'very' (did you mean 'vary'?)"),
        (
            "[classes.hot]\ntll = 1",
            "f.toml: [classes.hot]: unknown key 'tll' (did you mean 'ttl'?)",
        ),
        (rule("tll = 1"), "f.toml: rule 1 ('r'): unknown key 'tll' (did you mean 'ttl'?)"),
        (
            rule("cache = 1"),
            "f.toml: rule 1 ('r'): unknown key 'cache' "
            "(expected name, path, methods, class, ttl, swr, sie, browser, hints, timeout, "
            "scope, fallback, budget, placeholder)",
        ),
        (
            "[classes.tepid]",
            "f.toml: [classes]: unknown class 'tepid' (expected hot, warm, cold, bypass, origin)",
        ),
    ],
)
def test_an_unknown_key_is_refused_naming_the_closest_known_one(text, message):
    assert error(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rule = 1",
            "f.toml: top level: key 'rule': expected an array of tables ([[rule]]), got an integer",
        ),
        (
            "[rule]",
            "f.toml: top level: key 'rule': expected an array of tables ([[rule]]), got a table",
        ),
        ("rule = [1]", "f.toml: rule 1: expected a table, got an integer"),
        ("settings = 1", "f.toml: [settings]: expected a table, got an integer"),
        ("classes = []", "f.toml: [classes]: expected a table, got an array"),
        ("classes.hot = 'x'", "f.toml: [classes.hot]: expected a table, got 'x'"),
    ],
)
def test_a_section_of_the_wrong_shape_is_refused(text, message):
    assert error(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nclass = 'hot'", "f.toml: rule 1: missing key 'path'"),
        ("[[rule]]\npath = '/x'", "f.toml: rule 1 ('/x'): missing key 'class'"),
        (
            "[[rule]]\npath = 5\nclass = 'hot'",
            "f.toml: rule 1: key 'path': expected a non-empty string, got an integer",
        ),
        (
            "[[rule]]\npath = '/x'\nclass = 1",
            "f.toml: rule 1 ('/x'): key 'class': expected a non-empty string, got an integer",
        ),
        (
            rule(cls="tepid"),
            "f.toml: rule 1 ('r'): key 'class': "
            "unknown class 'tepid' (expected hot, warm, cold, bypass, origin)",
        ),
        (
            "[[rule]]\nname = ''\npath = '/x'\nclass = 'hot'",
            "f.toml: rule 1 (''): key 'name': expected a non-empty string, got ''",
        ),
        (
            rule() + "\n" + rule(),
            "f.toml: rule 2 ('r'): duplicate name, rule 1 has it too "
            "(a rule without 'name' is named by its path)",
        ),
        (
            "[[rule]]\npath = '/x'\nclass = 'hot'\n[[rule]]\npath = '/x'\nclass = 'warm'",
            "f.toml: rule 2 ('/x'): duplicate name, rule 1 has it too "
            "(a rule without 'name' is named by its path)",
        ),
    ],
)
def test_a_rule_needs_a_unique_name_a_path_and_a_known_class(text, message):
    assert error(text) == message


BYPASS = "pointless: class 'bypass' never stores"
ORIGIN = "class 'origin' always takes the origin's own lifetime"


@pytest.mark.parametrize(
    ("cls", "line", "problem"),
    [
        ("bypass", "ttl = 1", BYPASS),
        ("bypass", "swr = 1", BYPASS),
        ("bypass", "sie = 1", BYPASS),
        ("bypass", "hints = 'cap'", BYPASS),
        ("bypass", "browser = 'no-store'", BYPASS),
        ("origin", "ttl = 1", ORIGIN),
        ("origin", "hints = 'cap'", ORIGIN),
    ],
)
def test_a_key_that_cannot_apply_to_the_class_is_refused(cls, line, problem):
    key = line.split(" = ")[0]
    assert error(rule(line, cls=cls)) == f"f.toml: rule 1 ('r'): key '{key}': {problem}"
    assert error(f"[classes.{cls}]\n{line}") == f"f.toml: [classes.{cls}]: key '{key}': {problem}"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ttl = -1", "must not be negative, got -1"),
        ("ttl = true", f"{NOT_A_DURATION} a boolean"),
        ("ttl = nan", "must be a finite number of seconds, got nan"),
        ("swr = 1979-05-27", f"{NOT_A_DURATION} a date"),
        ("sie = '2y'", f"{NO_UNIT} '2y'"),
        ("sie = '400d'", "must be at most a year (365d), got '400d'"),
        ("timeout = 0", "must be more than 0 and at most 300 seconds, got 0"),
        ("timeout = '6m'", "must be more than 0 and at most 300 seconds, got '6m'"),
        ("hints = 'honor'", "expected 'honour', 'cap' or 'ignore', got 'honor'"),
        ("hints = ['cap']", "expected 'honour', 'cap' or 'ignore', got an array"),
        ("browser = ''", "expected a non-empty string, got ''"),
        ("browser = 5", "expected a non-empty string, got an integer"),
        (
            'browser = "no-store\\r\\nX: 1"',
            "must be a Cache-Control value of printable ASCII on one line",
        ),
        ("methods = 'GET'", "expected an array of strings, got 'GET'"),
        ("methods = []", "must list at least one method ('*' for any)"),
        ("methods = ['GET', 1]", "expected an array of strings, found an integer in it"),
        ("methods = ['GE T']", "invalid method name 'GE T'"),
        ("methods = ['GET', '*']", "'*' (any method) must be the only entry"),
    ],
)
def test_a_bad_rule_value_is_refused(line, problem):
    key = line.split(" = ")[0]
    assert error(rule(line)) == f"f.toml: rule 1 ('r'): key '{key}': {problem}"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ttl = '5x'", f"{NO_UNIT} '5x'"),
        ("timeout = '301s'", "must be more than 0 and at most 300 seconds, got '301s'"),
    ],
)
def test_a_bad_class_value_is_refused(line, problem):
    key = line.split(" = ")[0]
    assert error(f"[classes.hot]\n{line}") == f"f.toml: [classes.hot]: key '{key}': {problem}"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("api", "must start with '/', got 'api'"),
        ("", "expected a non-empty string, got ''"),
        ("/api?x=1", "must not contain '?': patterns match the path only"),
        ("/page#top", "must not contain '#': patterns match the path only"),
        ("/a b", "must be printable ASCII without spaces (percent-encode the rest), got ' '"),
        ("/café", "must be printable ASCII without spaces (percent-encode the rest), got 'é'"),
        ("/**/x", "'**' is allowed only as the whole last segment"),
        ("/a**", "'**' is allowed only as the whole last segment"),
        ("/:", "':' is not a parameter: ':' must start a name of letters, digits and '_'"),
        ("/:a-b", "':a-b' is not a parameter: ':' must start a name of letters, digits and '_'"),
    ],
)
def test_a_bad_path_pattern_is_refused(pattern, problem):
    assert error(rule(path=pattern)) == f"f.toml: rule 1 ('r'): key 'path': {problem}"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("vary = 'accept'", "expected an array of strings, got 'accept'"),
        ("vary = ['a b']", "invalid header name 'a b'"),
        ("vary = ['*']", "'*' cannot be allowed: a response with Vary: * is never reused"),
        ("tracking_params = ['*']", "invalid query parameter name or prefix '*'"),
        ("tracking_params = ['a*b']", "invalid query parameter name or prefix 'a*b'"),
        ("tracking_params = ['']", "invalid query parameter name or prefix ''"),
        ("coordinate_params = ['lat*']", "invalid query parameter name 'lat*'"),
        ("coordinate_params = ['a=b']", "invalid query parameter name 'a=b'"),
        ("geocell_precision = 0", "expected an integer from 1 to 12, got 0"),
        ("geocell_precision = 13", "expected an integer from 1 to 12, got 13"),
        ("geocell_precision = 6.0", "expected an integer from 1 to 12, got a float"),
        ("geocell_precision = true", "expected an integer from 1 to 12, got a boolean"),
    ],
)
def test_a_bad_setting_is_refused(line, problem):
    key = line.split(" = ")[0]
    assert error(f"[settings]\n{line}") == f"f.toml: [settings]: key '{key}': {problem}"


def test_a_syntax_error_at_the_end_of_the_document_names_the_last_line():
    assert error("a = 1\nb = ") == "f.toml: line 2: Invalid value"


def test_the_source_defaults_to_the_shipped_path():
    with pytest.raises(RoutesError, match=r"^edge/routes\.toml: line 1: "):
        load_routes("a = ")


# The shipped file


def test_the_shipped_file_loads():
    assert load_routes(SHIPPED.read_text(encoding="utf-8")).rules


@pytest.mark.parametrize(
    ("method", "path", "cls"),
    [
        ("GET", "/api/stores/sf-mission/inventory", "hot"),
        ("GET", "/api/inventory/BEV-COFFEE", "hot"),
        ("HEAD", "/api/inventory/BEV-COFFEE", "hot"),
        ("GET", "/api/prices/BEV-COFFEE", "hot"),
        ("GET", "/api/products", "warm"),
        ("GET", "/api/products/BEV-COFFEE", "warm"),
        ("GET", "/api/stores", "warm"),
        ("GET", "/api/stores/sf-mission", "warm"),
        ("GET", "/api/recommendations", "warm"),
        ("GET", "/pages/summer-market", "cold"),
        ("GET", "/help/delivery", "cold"),
        ("GET", "/api/cart", "bypass"),
        ("POST", "/api/cart/items", "bypass"),
        ("POST", "/api/checkout", "bypass"),
        ("GET", "/api/account/orders", "bypass"),
        ("GET", "/healthz", "bypass"),
        ("GET", "/_admin/knobs", "bypass"),
        ("PUT", "/_admin/knobs", "bypass"),
        ("POST", "/_admin/stock", "bypass"),
        ("POST", "/api/products", "origin"),
        ("GET", "/", "origin"),
        ("GET", "/favicon.ico", "origin"),
    ],
)
def test_the_shipped_file_classes_the_demo_origins_paths(method, path, cls):
    routes = load_routes(SHIPPED.read_text(encoding="utf-8"))
    assert routes.match(method, path).policy.name == cls
