"""Whether the edge may store a response, and for how long (RFC 9111 §3, as a shared cache).

Every content class obeys the same storage rules; classes only change lifetimes. The answer is
either the entry's lifetimes or the reason it is not stored, which ``Cache-Status`` reports as
its ``detail`` so a developer can see why a response was not cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from cachecontrol import RequestCaching, ResponseCaching
from freshness import Lifetimes, lifetimes
from routes import ClassPolicy

__all__ = ["Exchange", "storage"]


@dataclass(frozen=True, slots=True)
class Exchange:
    """What storage depends on, from one request and its response."""

    policy: ClassPolicy
    request: RequestCaching
    response: ResponseCaching
    status: int
    credentials: str | None  # "authorization" / "cookie": storing needs the response's consent
    set_cookie: bool  # the response carries Set-Cookie
    vary_ok: bool  # its Vary names only allowlisted request fields (never *)
    validator: bool  # it has an ETag or Last-Modified


def storage(exchange: Exchange) -> Lifetimes | str:
    """The lifetimes to store the response with, or why it is not stored."""
    response = exchange.response
    if not exchange.policy.store:
        return "bypass"
    if exchange.request.no_store:
        return "request-no-store"  # RFC 9111 §5.2.1.5
    if exchange.status < 200 or exchange.status in (206, 304) or exchange.status >= 500:
        # Errors are never stored: a 5xx must not replace the copy stale-if-error would serve.
        return "status"
    if response.no_store:
        return "no-store"  # RFC 9111 §5.2.2.5
    if response.private:
        return "private"  # RFC 9111 §5.2.2.7
    if exchange.set_cookie:
        return "set-cookie"  # personal data never enters a shared cache
    if exchange.credentials is not None and not (
        response.public or response.s_maxage or response.must_revalidate
    ):
        return exchange.credentials  # RFC 9111 §3.5
    if not exchange.vary_ok:
        return "vary"  # RFC 9111 §4.1: Vary: * or a field outside the allowlist
    found = lifetimes(exchange.policy, response, exchange.status)
    if found is None:
        if not exchange.validator:
            return "no-freshness"  # RFC 9111 §3: nothing would make it reusable
        found = Lifetimes(0.0, 0.0, 0.0)  # kept only to revalidate it
    return found
