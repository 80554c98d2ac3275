"""The fault schema from a file, a JSON body and ``--fault``: strict, one-line errors naming the
key; and which faults fire for a fetch, with a seeded generator."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import ConfigError
from emulator.faultconfig import (
    FaultSpecError,
    compile_pattern,
    load_faults,
    parse_fault,
    parse_fault_option,
    parse_faults,
)
from emulator.faults import FaultInjector
from emulator.runtime.http import JsRequest, JsResponse
from emulator.runtime.workers import Response

COLOS = ("SFO", "ORD", "LHR")

EXAMPLE = """
[[fault]]
path = "/api/prices/**"
pops = ["SFO"]
latency_ms = 800
jitter_ms = 200

[[fault]]
path = "/api/**"
status = 429
retry_after = 5
rate = 0.3

[[fault]]
path = "/api/stock/**"
kind = "refuse"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "faults.toml"
    path.write_text(text)
    return path


def test_the_documented_example_loads(tmp_path):
    latency, throttle, refuse = load_faults(write(tmp_path, EXAMPLE), COLOS)
    assert (latency.kind, latency.pops, latency.latency_ms, latency.jitter_ms) == (
        "latency",
        ("SFO",),
        800,
        200,
    )
    assert (throttle.kind, throttle.status, throttle.retry_after, throttle.rate) == (
        "status",
        429,
        5,
        0.3,
    )
    assert (refuse.kind, refuse.pops, refuse.rate) == ("refuse", None, 1.0)


def test_an_empty_file_has_no_faults(tmp_path):
    assert load_faults(write(tmp_path, ""), COLOS) == ()


def test_a_429_says_retry_after_one_second_unless_told_and_a_503_says_nothing():
    assert parse_fault({"path": "/", "status": 429}, COLOS).retry_after == 1
    assert parse_fault({"path": "/", "status": 503}, COLOS).retry_after is None
    assert parse_fault({"path": "/", "status": 503, "retry_after": 9}, COLOS).retry_after == 9


def test_pops_are_matched_without_case_and_kept_upper_case():
    assert parse_fault({"path": "/", "kind": "reset", "pops": ["lhr", "Sfo"]}, COLOS).pops == (
        "LHR",
        "SFO",
    )


BAD = [
    ("[[fault]]\nstatus = 503\n", "fault[0].path", "is required"),
    ('[[fault]]\npath = "api/**"\nstatus = 503\n', "fault[0].path", "must start with '/'"),
    ('[[fault]]\npath = "/a/**/b"\nstatus = 503\n', "fault[0].path", "'**' is allowed only"),
    ('[[fault]]\npath = "/a?b=1"\nstatus = 503\n', "fault[0].path", "path only"),
    ('[[fault]]\npath = "/a"\n', "fault[0].latency_ms", "needs latency_ms"),
    ('[[fault]]\npath = "/a"\nlatency_ms = -1\n', "fault[0].latency_ms", "from 0 to 60000"),
    ('[[fault]]\npath = "/a"\nlatency_ms = 1.5\n', "fault[0].latency_ms", "integer"),
    ('[[fault]]\npath = "/a"\njitter_ms = 60001\n', "fault[0].jitter_ms", "from 0 to 60000"),
    ('[[fault]]\npath = "/a"\nstatus = 404\n', "fault[0].status", "429, 500, 502, 503, 504"),
    ('[[fault]]\npath = "/a"\nstatus = true\n', "fault[0].status", "must be one of"),
    ('[[fault]]\npath = "/a"\nkind = "status"\n', "fault[0].status", "is required"),
    ('[[fault]]\npath = "/a"\nkind = "reset"\nstatus = 503\n', "fault[0].status", "goes with"),
    ('[[fault]]\npath = "/a"\nkind = "explode"\n', "fault[0].kind", "must be one of"),
    ('[[fault]]\npath = "/a"\nstatus = 500\nretry_after = 5\n', "fault[0].retry_after", "429"),
    ('[[fault]]\npath = "/a"\nstatus = 429\nretry_after = -5\n', "fault[0].retry_after", "from 0"),
    ('[[fault]]\npath = "/a"\nstatus = 503\nrate = 1.5\n', "fault[0].rate", "from 0 to 1"),
    ('[[fault]]\npath = "/a"\nstatus = 503\nrate = "half"\n', "fault[0].rate", "from 0 to 1"),
    ('[[fault]]\npath = "/a"\nstatus = 503\nrate = nan\n', "fault[0].rate", "from 0 to 1"),
    ('[[fault]]\npath = "/a"\nstatus = 503\npops = []\n', "fault[0].pops", "non-empty"),
    ('[[fault]]\npath = "/a"\nstatus = 503\npops = "SFO"\n', "fault[0].pops", "list"),
    ('[[fault]]\npath = "/a"\nstatus = 503\npops = ["AMS"]\n', "fault[0].pops", "SFO, ORD, LHR"),
    ('[[fault]]\npath = "/a"\nstatus = 503\npops = ["SFO", "sfo"]\n', "fault[0].pops", "twice"),
    ('[[fault]]\npath = "/a"\nstatus = 503\nlatencyms = 5\n', "fault[0].latencyms", "latency_ms"),
    ('[[fault]]\npath = "/a"\nstatus = 503\n[[fault]]\npath = 3\n', "fault[1].path", "required"),
    ('[[faults]]\npath = "/a"\n', "faults", "unknown key"),
    ('fault = "all"\n', "fault", "array of tables"),
    ("fault = [1]\n", "fault[0]", "must be a table"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD)
def test_a_bad_file_is_one_config_error_naming_file_and_key(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_faults(path, COLOS)
    error = caught.value
    assert (error.file, error.key) == (str(path), key)
    assert problem in error.problem
    assert str(error) == f"{path}: {key}: {error.problem}"
    assert "\n" not in str(error)


def test_an_unknown_key_suggests_the_closest_one(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key \(did you mean 'retry_after'\?\)"):
        load_faults(write(tmp_path, '[[fault]]\npath = "/a"\nretry = 1\n'), COLOS)


def test_a_file_that_is_not_toml_is_one_line_naming_it(tmp_path):
    path = write(tmp_path, "[[fault]\n")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_faults(path, COLOS)
    assert caught.value.file == str(path)


def test_a_json_document_takes_the_same_schema():
    [fault] = parse_faults({"fault": [{"path": "/a", "status": 503, "pops": None}]}, COLOS)
    assert (fault.status, fault.pops) == (503, None)
    with pytest.raises(FaultSpecError) as caught:
        parse_faults([], COLOS)
    assert caught.value.key == "body"


def test_an_option_takes_the_keys_of_a_table():
    fault = parse_fault_option(
        "path=/api/**, status=429, retry_after=7, rate=0.25, pops=SFO+lhr, latency_ms=10", COLOS
    )
    assert fault.to_json() == {
        "path": "/api/**",
        "kind": "status",
        "pops": ["SFO", "LHR"],
        "latency_ms": 10,
        "jitter_ms": 0,
        "status": 429,
        "retry_after": 7,
        "rate": 0.25,
    }
    assert parse_fault_option("path=/x,kind=refuse", COLOS).kind == "refuse"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("path=/x,status=503,rate=lots", "rate"),
        ("path=/x,status=five", "status"),
        ("path=/x,status=503,status=502", "status"),
        ("path=/x,503", "503"),
        ("", "fault"),
        ("path=/x,kind=reset,pops=SFO+XXX", "pops"),
        ("path=/x,kind=reset,colour=red", "colour"),
    ],
)
def test_a_bad_option_is_one_config_error_naming_the_option_and_key(text, key):
    with pytest.raises(ConfigError) as caught:
        parse_fault_option(text, COLOS)
    assert (caught.value.file, caught.value.key) == (f"--fault {text!r}", key)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("/api/**", ["/api", "/api/", "/api/a/b"], ["/apis", "/", "/x/api"]),
        ("/api/prices/*", ["/api/prices/A", "/api/prices/"], ["/api/prices/A/B", "/api/prices"]),
        ("/api/:sku/stock", ["/api/A1/stock"], ["/api//stock", "/api/A/B/stock"]),
        ("/assets/*.css", ["/assets/a.css"], ["/assets/a.js", "/assets/v/a.css"]),
        ("/**", ["/", "/anything/at/all"], []),
        ("/exact", ["/exact"], ["/exact/", "/Exact"]),
    ],
)
def test_patterns_use_the_routes_toml_syntax(pattern, matches, misses):
    regex = compile_pattern(pattern)
    assert all(regex.fullmatch(path) for path in matches)
    assert not any(regex.fullmatch(path) for path in misses)


KINDS = st.sampled_from(["latency", "status", "refuse", "reset"])


@st.composite
def valid_faults(draw: st.DrawFn) -> dict[str, object]:
    kind = draw(KINDS)
    table: dict[str, object] = {
        "path": draw(st.sampled_from(["/", "/api/**", "/api/prices/*", "/p/:id/x"])),
        "kind": kind,
        "latency_ms": draw(st.integers(1 if kind == "latency" else 0, 60_000)),
        "jitter_ms": draw(st.integers(0, 60_000)),
        "rate": draw(st.floats(0, 1)),
    }
    if draw(st.booleans()):
        table["pops"] = draw(st.lists(st.sampled_from(COLOS), min_size=1, max_size=3, unique=True))
    if kind == "status":
        table["status"] = status = draw(st.sampled_from([429, 500, 502, 503, 504]))
        if status in (429, 503) and draw(st.booleans()):
            table["retry_after"] = draw(st.integers(0, 86_400))
    return table


@given(valid_faults())
def test_a_valid_fault_comes_back_as_it_was_written(table):
    fault = parse_fault(table, COLOS)
    shown = fault.to_json()
    assert {key: shown[key] for key in table} == table
    assert parse_fault(shown, COLOS) == fault


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
NAMES = ("path", "pops", "kind", "latency_ms", "jitter_ms", "status", "retry_after", "rate", "x")


def refusal(call: Callable[[], object]) -> Exception | None:
    """The error ``call`` raises if it is one of the two the parsers may raise, else None."""
    try:
        call()
    except (FaultSpecError, ConfigError) as exc:
        return exc
    return None


@given(st.dictionaries(st.sampled_from(NAMES), JSON_VALUES | KINDS | st.sampled_from(["/a", 503])))
def test_any_table_is_a_fault_or_a_fault_spec_error_naming_one_of_its_keys(table):
    error = refusal(lambda: parse_fault(table, COLOS))
    assert error is None or (isinstance(error, FaultSpecError) and error.key in NAMES)


@given(st.text(alphabet="path=/*:statuskindrefuse,+0123456789.SFOLHR rt_", max_size=40))
def test_any_option_text_is_a_fault_or_one_config_error_line(text):
    error = refusal(lambda: parse_fault_option(text, COLOS))
    assert error is None or (isinstance(error, ConfigError) and "\n" not in str(error))


# Which faults fire for one fetch.


def plan(injector: FaultInjector, url: str, colo: str = "SFO"):  # type: ignore[no-untyped-def]
    return injector.plan(colo, JsRequest(url))


def injector(*tables: dict[str, object], seed: int = 0) -> FaultInjector:
    faults = parse_faults({"fault": list(tables)}, COLOS)
    return FaultInjector(faults, random.Random(seed))


def test_no_faults_no_plan():
    assert plan(FaultInjector(), "http://o.test/a") is None


def test_latency_adds_and_the_first_effect_that_fires_wins():
    faults = injector(
        {"path": "/api/**", "latency_ms": 100},
        {"path": "/api/**", "status": 503, "latency_ms": 50, "rate": 0},
        {"path": "/api/**", "kind": "refuse", "latency_ms": 20},
        {"path": "/api/**", "status": 429, "latency_ms": 5},
        {"path": "/other", "latency_ms": 1000},
    )
    decided = plan(faults, "http://o.test/api/x?q=1")
    assert decided is not None
    assert decided.delay_ms == 125
    assert decided.effect is not None
    assert (decided.effect.kind, decided.name) == ("refuse", "fault[2]")


def test_jitter_and_rate_draw_from_the_generator_in_order():
    faults = injector({"path": "/**", "latency_ms": 10, "jitter_ms": 40, "rate": 0.5}, seed=11)
    replay = random.Random(11)
    for _ in range(20):
        fires = replay.random() < 0.5
        decided = plan(faults, "http://o.test/x")
        if fires:
            assert decided is not None
            assert decided.delay_ms == 10 + replay.uniform(0, 40)
        else:
            assert decided is None


def test_faults_are_scoped_to_their_pops():
    faults = injector({"path": "/**", "kind": "reset", "pops": ["ORD"]})
    assert plan(faults, "http://o.test/x", "SFO") is None
    assert plan(faults, "http://o.test/x", "ORD") is not None


def test_faults_aim_at_the_origin_and_at_every_fetch_without_one():
    faults = injector({"path": "/**", "status": 503})
    assert plan(faults, "https://elsewhere.test/x") is not None
    faults.aim("http://Origin.test:80/base")
    assert plan(faults, "http://origin.test/x") is not None
    assert plan(faults, "http://origin.test:8080/x") is None
    assert plan(faults, "https://origin.test/x") is None
    assert plan(faults, "https://elsewhere.test/x") is None
    faults.aim("not a url")
    assert plan(faults, "https://elsewhere.test/x") is not None


async def test_a_reset_breaks_every_way_of_reading_the_body():
    decided = plan(injector({"path": "/**", "kind": "reset"}), "http://o.test/x")
    assert decided is not None
    origin = JsResponse(b"payload", status=200, headers={"etag": '"1"'})
    broken = decided.after(origin)
    assert (broken.status, broken.headers.get("etag")) == (200, '"1"')
    assert broken.headers.get("popcache-injected") == "reset"
    clone = broken.clone()
    with pytest.raises(OSError, match=r"^Network connection lost\."):
        await broken.text()
    with pytest.raises(OSError, match="already used"):
        await broken.arrayBuffer()
    with pytest.raises(OSError, match=r"^Network connection lost\."):
        JsResponse(clone.body)
    with pytest.raises(OSError, match=r"^Network connection lost\."):
        await Response(clone).bytes()
    assert decided.after(JsResponse(None, status=204)).status == 204  # nothing to break
