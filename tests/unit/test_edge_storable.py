"""What the edge stores (RFC 9111 §3 as a shared cache): every refusal has its reason."""

from dataclasses import replace

import pytest
from cachecontrol import request_caching, response_caching
from freshness import Lifetimes
from routes import load_routes
from storable import Exchange, storage

ROUTES = load_routes("")


def exchange(cache_control: str | None = "public, max-age=60", **fields: object) -> Exchange:
    base = Exchange(
        policy=ROUTES.policy("warm"),
        request=request_caching(cache_control=None, pragma=None),
        response=response_caching(
            cache_control=cache_control,
            cdn_cache_control=None,
            expires=None,
            date=None,
            pragma=None,
            now=0.0,
        ),
        status=200,
        credentials=None,
        set_cookie=False,
        vary_ok=True,
        validator=False,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def test_a_public_response_with_a_lifetime_is_stored():
    assert storage(exchange()) == Lifetimes(60.0, 60.0, 3600.0)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        (exchange(policy=ROUTES.policy("bypass")), "bypass"),
        (
            exchange(request=request_caching(cache_control="no-store", pragma=None)),
            "request-no-store",
        ),
        (exchange(status=503), "status"),
        (exchange(status=206), "status"),
        (exchange("no-store"), "no-store"),
        (exchange("private, max-age=60"), "private"),
        (exchange(set_cookie=True), "set-cookie"),
        (exchange("max-age=60", credentials="authorization"), "authorization"),
        (exchange("max-age=60", credentials="cookie"), "cookie"),
        (exchange(vary_ok=False), "vary"),
        (exchange(None, policy=ROUTES.policy("origin")), "no-freshness"),
    ],
    ids=[
        "bypass-class",
        "request-no-store-rfc9111-5-2-1-5",
        "server-errors-never-replace-a-good-copy",
        "partial-content",
        "no-store-rfc9111-5-2-2-5",
        "private-rfc9111-5-2-2-7",
        "set-cookie-is-personal",
        "authorization-rfc9111-3-5",
        "cookies-on-the-origin-class",
        "vary-star-or-unlisted-rfc9111-4-1",
        "no-freshness-and-no-validator-rfc9111-3",
    ],
)
def test_refusals_name_their_reason(case, reason):
    assert storage(case) == reason


@pytest.mark.parametrize(
    "consent", ["public, max-age=60", "s-maxage=60", "max-age=60, must-revalidate"]
)
def test_a_credentialed_request_is_stored_when_the_response_consents_rfc9111_3_5(consent):
    assert isinstance(storage(exchange(consent, credentials="authorization")), Lifetimes)


def test_without_freshness_a_validator_keeps_it_for_revalidation_rfc9111_4_3():
    case = exchange(None, policy=ROUTES.policy("origin"), validator=True)
    assert storage(case) == Lifetimes(0.0, 0.0, 0.0)
