"""What a client gets when the origin is slower than the budget: the poll contract.

A ``202 Accepted`` with ``Retry-After`` (when to ask again), ``Location`` (what to ask for: the
very URL the client asked, so a poll carries nothing but what the first request did and the
edge places the client from ``request.cf`` again) and a small JSON body, the rule's
``placeholder`` table or ``{"status": "pending", "retry_after": N, "poll": URL}``. Never
stored. The origin fetch goes on in the background and stores its answer, so the poll is a hit,
or joins the same fetch if it is still under way. docs/placeholders.md is the contract.
"""

from __future__ import annotations

import math

import jsonbounds
from messages import EdgeResponse, Fields
from template import render

__all__ = ["DEFAULT_PLACEHOLDER", "MAX_RETRY_AFTER", "placeholder", "poll_target", "retry_after"]

DEFAULT_PLACEHOLDER = {
    "status": "pending",
    "retry_after": "{{ retry_after }}",
    "poll": "{{ poll }}",
}
MAX_RETRY_AFTER = 10
"""The longest a placeholder asks a client to wait before polling, in seconds."""


def poll_target(url: str) -> str:
    """The path and query of ``url`` (an absolute URL): where the client polls."""
    start = url.find("/", url.find("://") + 3)
    return "/" if start < 0 else url[start:].partition("#")[0]


def retry_after(expected: float | None, waited: float) -> int:
    """Whole seconds until the origin's answer is likely in: its usual latency (an EWMA) less
    what the client has waited, at least 1 and at most ``MAX_RETRY_AFTER``."""
    if expected is None or not math.isfinite(expected):
        return 1
    return max(1, min(MAX_RETRY_AFTER, math.ceil(expected - waited)))


def placeholder(template: object, poll: str, seconds: int) -> EdgeResponse:
    """The 202 for a request still waiting on the origin."""
    body = render(
        template if template is not None else DEFAULT_PLACEHOLDER,
        {
            "retry_after": seconds,
            "poll": poll,
        },
    )
    headers = Fields(
        [
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
            ("retry-after", str(seconds)),
            ("location", poll),
        ]
    )
    return EdgeResponse(202, headers, jsonbounds.dump(body))
