"""Errors the edge makes itself: problem+json (RFC 9457) with Proxy-Status (RFC 9209)."""

import json

import pytest
from problem import origin_failure, problem
from upstream import OriginError


def test_a_problem_names_its_field_and_is_never_stored():
    response = problem(400, "the request URL is not usable", field="url")
    body = json.loads(response.body)
    assert (response.status, body["status"], body["field"]) == (400, 400, "url")
    assert response.headers.get("content-type") == "application/problem+json"
    assert response.headers.get("cache-control") == "no-store"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("http_response_timeout", 504),
        ("connection_refused", 502),
        ("connection_terminated", 502),
        ("destination_unavailable", 502),
    ],
)
def test_an_origin_failure_is_a_502_or_a_504_saying_why(error, status):
    response = origin_failure(OriginError(error, "what happened"))
    assert response.status == status
    assert response.headers.get("proxy-status") == (
        f'popcache; error={error}; details="what happened"'
    )
    assert json.loads(response.body)["field"] == "origin"
