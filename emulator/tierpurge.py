"""Which upper-tier entries a zone purge selects, by the same rules as the PoPs' caches.

Cloudflare's purge "deletes cached content in every Cloudflare data center"
(https://developers.cloudflare.com/api/resources/cache/methods/purge/), the upper tiers of
Tiered Cache included, so a purge reaches :mod:`emulator.uppertier` as it reaches each PoP's
Cache API storage. The items mean what they mean there (:mod:`emulator.runtime.cache`): URLs
normalised like cache keys, tags without case, a host with or without a port, a prefix at a
path-segment boundary. The upper tier keys entries by the URL the worker fetched (the origin's,
as on Cloudflare, where the tier caches a subrequest under its own URL), so ``files``, ``hosts``
and ``prefixes`` name origin URLs there; ``tags`` and ``purge_everything`` reach both alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import SplitResult, urlsplit

from .runtime.cache import parse_purge_host, parse_purge_prefix
from .runtime.cache_http import normalize_url

__all__ = ["Pick", "by_hosts", "by_prefixes", "by_tags", "by_urls", "everything"]

Pick = Callable[[str, frozenset[str]], bool]
"""Whether a purge selects an entry: (its normalised URL, its lower-cased tags) -> bool."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _items(values: Iterable[str], what: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be an iterable of strings, e.g. [{values!r}]")
    return list(values)


def _port(parts: SplitResult) -> int:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it, at a path-segment boundary."""
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


def everything(_url: str, _tags: frozenset[str]) -> bool:
    return True


def by_urls(urls: Iterable[str]) -> Pick:
    keys = {normalize_url(url) for url in _items(urls, "urls")}
    return lambda url, _tags: url in keys


def by_tags(tags: Iterable[str]) -> Pick:
    wanted = {tag.strip().lower() for tag in _items(tags, "tags")}
    return lambda _url, entry_tags: not entry_tags.isdisjoint(wanted)


def by_hosts(hosts: Iterable[str]) -> Pick:
    patterns = [parse_purge_host(host) for host in _items(hosts, "hosts")]

    def pick(url: str, _tags: frozenset[str]) -> bool:
        parts = urlsplit(url)
        return any(
            parts.hostname == hostname and (port is None or _port(parts) == port)
            for hostname, port in patterns
        )

    return pick


def by_prefixes(prefixes: Iterable[str]) -> Pick:
    patterns = [parse_purge_prefix(prefix) for prefix in _items(prefixes, "prefixes")]

    def pick(url: str, _tags: frozenset[str]) -> bool:
        parts = urlsplit(url)
        return any(
            parts.hostname == hostname
            and (port is None or _port(parts) == port)
            and _under(parts.path, path)
            for hostname, port, path in patterns
        )

    return pick
