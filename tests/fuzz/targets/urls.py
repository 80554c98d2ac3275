"""Request URLs: cache-key normalisation (``cachekey.normalize``, ``cache_key``) and the checks
on a batch item's URL and headers (``batchsafety``).

As tests/unit/test_edge_hostile_urls.py: ``normalize`` returns a URL or raises
``InvalidURL``, and a normalised URL normalises to itself; ``refuse_url`` and ``item_fields``
are total, and a URL they let through stays under its prefix.
"""

from __future__ import annotations

from batchsafety import item_fields, item_path, refuse_url
from cachekey import InvalidURL, cache_key, normalize

from ..contract import SEPARATOR, checked, framed, one_of, text

TOTAL: tuple[type[Exception], ...] = ()
PREFIXES = ("/api/",)


def _normalize(raw: bytes) -> None:
    first = checked((InvalidURL,), normalize, text(raw))
    if isinstance(first, InvalidURL):
        return
    assert first.url.isascii()
    assert first.url.isprintable()
    assert first.path.startswith("/")
    again = checked(TOTAL, normalize, first.url)
    assert (again.url, again.host, again.path) == (first.url, first.host, first.path)
    key = checked(TOTAL, cache_key, first, version="v1", content_class="html", scope="z")
    assert key.startswith(f"https://{first.host}/~popcache/")


def _batch_item_url(raw: bytes) -> None:
    path = checked(TOTAL, item_path, text(raw))
    if checked(TOTAL, refuse_url, path, PREFIXES) is None:
        assert path.startswith("/api/")
        assert path.isascii()
        assert path.isprintable()
        assert not any(char in path for char in "\r\n\x00 #\\")


def _batch_item_fields(raw: bytes) -> None:
    parts = [text(part) for part in raw.split(SEPARATOR)]
    kept = {
        name for name, _ in checked(TOTAL, item_fields, zip(parts[::2], parts[1::2], strict=False))
    }
    assert not kept & {"cookie", "host", "cf-ipcountry"}
    assert not any(name.startswith(("cf-", "popcache-", "x-forwarded-")) for name in kept)


PARSERS = (_normalize, _batch_item_url, _batch_item_fields)


fuzz_one = one_of(PARSERS)


SEEDS = (
    framed(0, "https://shop.example/api/products/BEV-COFFEE?b=2&a=1&utm_source=x#top"),
    framed(0, "HTTP://User:pw@SHOP.example:80/a/./b/../%7euser/%2e%2E/p%20q?lat=37.77&lon=-122.4"),
    framed(0, "https://[::1]:8443/%5Fedge/batch?q=%c3%a9"),
    framed(0, "https://xn--bcher-kva.example/s?latitude=1e400"),
    framed(1, "/api/products/1?x=1"),
    framed(1, "/api/%2e%2e/_edge/batch"),
    framed(2, "Accept", "application/json", "Cookie", "a=b", "X-Forwarded-For", "1.2.3.4"),
)
