"""Cloudflare's zone purge API as data: a hard purge POSTs to purge_cache, a soft one to
invalidate_cache, with one selector in a JSON body; the answer is Done, RetryLater (429, 408,
5xx, for Retry-After or a default) or Refused (any other 4xx, success false, not the API's
envelope), and reading it never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invalidation import Purge
from messages import EdgeResponse, Fields
from purgeapi import (
    SELECTORS,
    Done,
    PurgeCall,
    Refused,
    RetryLater,
    call_for,
    outcome,
    purge_request,
)

API = "https://api.cloudflare.com/client/v4"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
TOKEN = "Y3VyaW91cy10b2tlbi0xMjM0NTY3ODkw"
NOW = 1_790_000_000.0
OK = {"success": True, "errors": [], "messages": [], "result": {"id": ZONE}}


def envelope(*errors: tuple[int, str], success: bool = False) -> bytes:
    return json.dumps(
        {
            "success": success,
            "errors": [{"code": code, "message": message} for code, message in errors],
            "messages": [],
            "result": None,
        }
    ).encode()


def answer(status: int, body: bytes | object = OK, **headers: str) -> Done | RetryLater | Refused:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    fields = Fields([(name.replace("_", "-"), value) for name, value in headers.items()])
    return outcome(EdgeResponse(status, fields, raw), NOW)


# Requests


def test_a_hard_purge_posts_tags_to_purge_cache():
    request = purge_request(API, ZONE, TOKEN, PurgeCall("hard", "tags", ("a", "b")))
    assert request.method == "POST"
    assert request.url == f"{API}/zones/{ZONE}/purge_cache"
    assert json.loads(request.body or b"") == {"tags": ["a", "b"]}


def test_a_soft_purge_posts_to_invalidate_cache():
    request = purge_request(API, ZONE, TOKEN, PurgeCall("soft", "tags", ("a",)))
    assert request.url == f"{API}/zones/{ZONE}/invalidate_cache"
    assert json.loads(request.body or b"") == {"tags": ["a"]}


def test_the_request_carries_the_token_and_a_json_content_type():
    request = purge_request(API, ZONE, TOKEN, PurgeCall("hard", "tags", ("a",)))
    assert request.headers.get("authorization") == f"Bearer {TOKEN}"
    assert request.headers.get("content-type") == "application/json"


def test_a_trailing_slash_on_the_api_base_makes_no_double_slash():
    request = purge_request(API + "/", ZONE, TOKEN, PurgeCall("hard", "tags", ("a",)))
    assert request.url == f"{API}/zones/{ZONE}/purge_cache"


@pytest.mark.parametrize("selector", ["files", "prefixes", "hosts"])
def test_each_list_selector_is_the_body_s_one_member(selector):
    request = purge_request(API, ZONE, TOKEN, PurgeCall("hard", selector, ("x",)))
    assert json.loads(request.body or b"") == {selector: ["x"]}


def test_purge_everything_is_a_body_of_true():
    request = purge_request(API, ZONE, TOKEN, PurgeCall("hard", "purge_everything", ()))
    assert json.loads(request.body or b"") == {"purge_everything": True}


def test_call_for_purges_a_plan_s_tags_by_the_tags_selector():
    assert call_for(Purge("soft", ("a", "b"))) == PurgeCall("soft", "tags", ("a", "b"))


@pytest.mark.parametrize(
    ("selector", "values"),
    [("purge_everything", ("x",)), ("tags", ()), ("urls", ("x",))],
)
def test_a_call_with_values_that_do_not_fit_its_selector_is_refused(selector, values):
    with pytest.raises(ValueError):  # noqa: PT011 - the messages differ
        PurgeCall("hard", selector, values)


def test_a_call_with_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        PurgeCall("medium", "tags", ("x",))  # type: ignore[arg-type]


def test_every_selector_is_listed():
    assert SELECTORS == ("tags", "files", "prefixes", "hosts", "purge_everything")


@pytest.mark.parametrize("zone", ["", "../accounts", "a/b", "zone id", "z?x=1", "z" * 65])
def test_a_zone_id_that_would_change_the_path_is_refused(zone):
    with pytest.raises(ValueError, match="zone id"):
        purge_request(API, zone, TOKEN, PurgeCall("hard", "tags", ("a",)))


@pytest.mark.parametrize("token", ["", "a b", "a\r\nx-injected: 1", "tök"])
def test_a_token_that_could_not_travel_in_a_header_is_refused(token):
    with pytest.raises(ValueError, match="token"):
        purge_request(API, ZONE, token, PurgeCall("hard", "tags", ("a",)))


@pytest.mark.parametrize("base", ["", "api.cloudflare.com", "ftp://x", "https://a b", "https://"])
def test_an_api_base_that_is_not_an_http_url_is_refused(base):
    with pytest.raises(ValueError, match="api_base"):
        purge_request(base, ZONE, TOKEN, PurgeCall("hard", "tags", ("a",)))


# Outcomes


def test_200_with_success_true_is_done():
    assert answer(200) == Done()


def test_200_with_success_false_is_refused_with_cloudflare_s_errors():
    result = answer(200, envelope((1134, "Invalid tag"), (1001, "Bad zone")))
    assert isinstance(result, Refused)
    assert "success false" in result.reason
    assert "1134 Invalid tag" in result.reason
    assert "1001 Bad zone" in result.reason


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>502</html>", b"[]", b'{"errors": []}', b'{"success": "true"}', b"\xff"],
)
def test_2xx_without_the_envelope_is_refused(body):
    result = answer(200, body)
    assert isinstance(result, Refused)
    assert "envelope" in result.reason


def test_429_waits_for_retry_after():
    assert answer(429, envelope((971, "Please wait")), retry_after="17") == RetryLater(
        17, "HTTP 429: Cloudflare errors: 971 Please wait", limited=True
    )


def test_a_5xx_is_an_outage_not_the_rate_limit():
    result = answer(503, b"")
    assert isinstance(result, RetryLater)
    assert not result.limited


def test_429_without_retry_after_waits_a_minute():
    result = answer(429, b"")
    assert isinstance(result, RetryLater)
    assert result.seconds == 60


def test_retry_after_as_an_http_date_is_read_against_now():
    # NOW is 2026-09-21T14:13:20Z; the date is 90 seconds later.
    result = answer(429, b"", retry_after="Mon, 21 Sep 2026 14:14:50 GMT")
    assert isinstance(result, RetryLater)
    assert result.seconds == 90


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599, 408])
def test_5xx_and_408_wait_five_seconds_without_retry_after(status):
    result = answer(status, b"")
    assert isinstance(result, RetryLater)
    assert result.seconds == 5
    assert f"HTTP {status}" in result.reason


def test_503_waits_for_its_retry_after():
    result = answer(503, b"", retry_after="120")
    assert isinstance(result, RetryLater)
    assert result.seconds == 120


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 1),
        ("99999999", 43_200),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 1),  # already past
        ("soon", 60),
        ("-5", 60),
        ("1.5", 60),
    ],
)
def test_a_retry_after_is_clamped_to_one_second_through_twelve_hours(value, seconds):
    result = answer(429, b"", retry_after=value)
    assert isinstance(result, RetryLater)
    assert result.seconds == seconds


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 413, 422])
def test_another_4xx_is_refused_with_its_status(status):
    result = answer(status, envelope((10000, "Authentication error")))
    assert isinstance(result, Refused)
    assert f"HTTP {status}" in result.reason
    assert "10000 Authentication error" in result.reason


@pytest.mark.parametrize("status", [100, 301, 304, 0, 999])
def test_a_status_the_api_does_not_answer_with_is_refused(status):
    assert answer(status, OK) == Refused(f"HTTP {status}")


def test_204_is_refused_for_want_of_the_envelope():
    assert answer(204, b"") == Refused("HTTP 204 without the API's JSON envelope")


def test_a_reason_shows_a_few_errors_and_cuts_long_messages():
    errors = [(n, "x" * 1000) for n in range(20)]
    result = answer(400, envelope(*errors))
    assert isinstance(result, Refused)
    assert result.reason.count("; ") == 4
    assert len(result.reason) < 1500


def test_a_reason_has_no_line_breaks_from_the_message():
    result = answer(400, envelope((1, "line one\r\nline two")))
    assert isinstance(result, Refused)
    assert "\n" not in result.reason
    assert "line one line two" in result.reason


def test_errors_that_are_not_code_and_message_objects_are_skipped():
    body = json.dumps({"success": False, "errors": ["oops", {"code": True}, {"message": "m"}]})
    assert answer(400, body.encode()) == Refused("HTTP 400: Cloudflare errors: m")


# Properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)
ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "success": JSON,
        "errors": st.lists(
            st.fixed_dictionaries({}, optional={"code": JSON, "message": JSON}) | JSON
        ),
        "result": JSON,
    },
).map(lambda value: json.dumps(value).encode())
BODIES = st.binary(max_size=100) | ENVELOPES | JSON.map(lambda value: json.dumps(value).encode())
HEADERS = st.lists(
    st.tuples(st.sampled_from(["retry-after", "content-type", "x"]), st.text(max_size=40))
).map(Fields)


@settings(max_examples=300, deadline=None)
@given(st.integers(-1000, 100_000), HEADERS, BODIES, st.floats())
def test_any_answer_is_an_outcome_and_never_an_exception(status, headers, body, now):
    result = outcome(EdgeResponse(status, headers, body), now)
    if isinstance(result, RetryLater):
        assert 1 <= result.seconds <= 43_200
        assert status in (408, 429) or 500 <= status <= 599
    elif isinstance(result, Done):
        assert 200 <= status <= 299
    else:
        assert isinstance(result, Refused)
        assert result.reason


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**30), st.sampled_from([429, 408, 500, 503]))
def test_any_delay_seconds_retry_after_is_waited_for_within_the_bounds(seconds, status):
    result = answer(status, b"", retry_after=str(seconds))
    assert isinstance(result, RetryLater)
    assert result.seconds == max(1, min(seconds, 43_200))
