"""Which cache entries a zone purge selects: one set of rules for every cache it reaches.

Cloudflare's purge "deletes cached content in every Cloudflare data center"
(https://developers.cloudflare.com/api/resources/cache/methods/purge/): each PoP's Cache API
storage (:mod:`emulator.runtime.cache`) and Tiered Cache's upper tier
(:mod:`emulator.uppertier`) alike. Each is a :class:`Purgeable`: it asks a :data:`Pick` of
each entry, by the URL it is stored under and its tags, and drops or marks what it selects.

URLs are normalised like keys; tags without case (as ``Cache-Tag``); a host item is a
hostname, optionally with a port (``127.0.0.1:8787`` matches that port only, ``127.0.0.1`` any
port); a prefix item is host and path without a scheme, query or fragment
(``www.example.com/foo``), matching the key's host and then its path at a path-segment boundary
(``/foo`` and ``/foo/bar`` and ``/foo?page=2``, never ``/foobar``): Cloudflare's purge by prefix
"purges a directory", its examples end at path separators, and any query string goes with the
path (https://developers.cloudflare.com/cache/how-to/purge-cache/purge_by_prefix/). A prefix
ending in ``/`` matches below it only; a bare host matches its every path. ``parse_purge_host``
and ``parse_purge_prefix`` read those items (TypeError for one that is not).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from urllib.parse import SplitResult, urlsplit

from .cache_http import normalize_url

__all__ = [
    "Pick",
    "Purgeable",
    "by_hosts",
    "by_prefixes",
    "by_tags",
    "by_urls",
    "everything",
    "parse_purge_host",
    "parse_purge_prefix",
]

Pick = Callable[[str, frozenset[str]], bool]
"""Whether a purge selects an entry: (its normalised URL, its lower-cased tags) -> bool."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _items(values: Iterable[str], what: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be an iterable of strings, e.g. [{values!r}]")
    return list(values)


def parse_purge_host(value: str) -> tuple[str, int | None]:
    """A purge ``hosts`` item: its hostname (lower-cased, IDNA-encoded) and port, None when it
    names none; TypeError for anything but ``host`` or ``host:port``."""
    if not isinstance(value, str) or not value or re.search(r"[/?#@\\\s]", value):
        raise TypeError(f"{value!r} is not a host name (host or host:port, no scheme or path)")
    hostname, port, path = _purge_target(value)
    if path != "/":
        raise TypeError(f"{value!r} is not a host name")
    return hostname, port


def parse_purge_prefix(value: str) -> tuple[str, int | None, str]:
    """A purge ``prefixes`` item, host and path without a scheme (``www.example.com/foo``): its
    hostname, port (None when it names none) and normalised path; TypeError otherwise."""
    if not isinstance(value, str) or not value:
        raise TypeError("a prefix must be a non-empty string")
    if "://" in value:
        raise TypeError(f"{value!r}: a prefix is a host and path without a scheme")
    if "?" in value or "#" in value:
        raise TypeError(f"{value!r}: a prefix cannot carry a query string or a fragment")
    if re.search(r"[@\\\s]", value.partition("/")[0]):
        raise TypeError(f"{value!r} does not start with a host name")
    return _purge_target(value)


def _purge_target(value: str) -> tuple[str, int | None, str]:
    try:
        port = urlsplit(f"http://{value}").port
        parts = urlsplit(normalize_url(f"http://{value}"))
    except ValueError:  # a port that is not a number, or out of range
        raise TypeError(f"{value!r} has an invalid port") from None
    except TypeError:
        raise TypeError(f"{value!r} is not a valid host and path") from None
    return parts.hostname or "", port, parts.path


def _key_port(parts: SplitResult) -> int:
    return parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)


def by_urls(urls: Iterable[str]) -> Pick:
    keys = {normalize_url(url) for url in _items(urls, "urls")}
    return lambda url, _tags: url in keys


def by_tags(tags: Iterable[str]) -> Pick:
    wanted = {tag.strip().lower() for tag in _items(tags, "tags")}
    return lambda _url, tags: not tags.isdisjoint(wanted)


def by_hosts(hosts: Iterable[str]) -> Pick:
    patterns = [parse_purge_host(host) for host in _items(hosts, "hosts")]

    def pick(url: str, _tags: frozenset[str]) -> bool:
        parts = urlsplit(url)
        return any(
            parts.hostname == hostname and (port is None or _key_port(parts) == port)
            for hostname, port in patterns
        )

    return pick


def by_prefixes(prefixes: Iterable[str]) -> Pick:
    patterns = [parse_purge_prefix(prefix) for prefix in _items(prefixes, "prefixes")]

    def pick(url: str, _tags: frozenset[str]) -> bool:
        parts = urlsplit(url)
        return any(
            parts.hostname == hostname
            and (port is None or _key_port(parts) == port)
            and _under(parts.path, path)
            for hostname, port, path in patterns
        )

    return pick


def _under(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it, at a path-segment boundary."""
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


def everything(_url: str, _tags: frozenset[str]) -> bool:
    return True


class Purgeable(ABC):
    """A cache the zone purge reaches. Each ``purge_*`` method drops the entries the purge
    selects (``purge_cache``), or with ``soft`` marks them invalidated (``invalidate_cache``),
    and returns how many live entries it touched: both endpoints select alike, so one method
    per selector takes the action as a flag. A cache says how it drops and marks what a
    :data:`Pick` selects."""

    @abstractmethod
    def _drop(self, pick: Pick) -> int:
        """Drop the entries ``pick`` selects; count the live ones."""

    @abstractmethod
    def _invalidate(self, pick: Pick) -> int:
        """Mark the live entries ``pick`` selects invalidated; count those not already."""

    def _purge(self, pick: Pick, soft: bool) -> int:
        return self._invalidate(pick) if soft else self._drop(pick)

    def purge_everything(self, *, soft: bool = False) -> int:
        """Every entry (Cloudflare's "Purge Everything")."""
        return self._purge(everything, soft)

    def purge_urls(self, urls: Iterable[str], *, soft: bool = False) -> int:
        """The entries stored under ``urls`` (normalised like keys)."""
        return self._purge(by_urls(urls), soft)

    def purge_tags(self, tags: Iterable[str], *, soft: bool = False) -> int:
        """The entries whose ``Cache-Tag`` carried any of ``tags`` (case-insensitive)."""
        return self._purge(by_tags(tags), soft)

    def purge_hosts(self, hosts: Iterable[str], *, soft: bool = False) -> int:
        """The entries whose URL is on any of ``hosts``."""
        return self._purge(by_hosts(hosts), soft)

    def purge_prefixes(self, prefixes: Iterable[str], *, soft: bool = False) -> int:
        """The entries whose URL's host and path start with any of ``prefixes`` at a
        path-segment boundary."""
        return self._purge(by_prefixes(prefixes), soft)
