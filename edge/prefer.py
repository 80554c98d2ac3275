"""The client's ``Prefer`` request field (RFC 7240), read for ``respond-async`` and ``wait``.

A preference is a hint the server may ignore (RFC 7240 §2), so the parser is total: whatever a
client sends, the answer is a ``Preferences``, never an exception, in time linear in the field.
Sections followed: RFC 7240 §2 (syntax, case, repeats, empty values), §3 (Preference-Applied),
§4.1 (respond-async), §4.3 (wait, in delta-seconds of RFC 7231 §7.1.3, read as RFC 9111
§1.2.2 reads them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cachecontrol import delta_seconds

__all__ = ["Preferences", "parse_prefer", "preference_applied"]

# RFC 7240 §2: preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] ), where
# word = token / quoted-string (RFC 9110 §5.6.2, §5.6.4). Parameters are matched loosely, as
# neither preference read here has any. A zero-length value counts as no value (§2).
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QDTEXT = r"[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]"
_PAIR = r"\\[\t \x21-\x7e\x80-\xff]"
_PREFERENCE = re.compile(
    rf'[ \t]*({_TOKEN})(?:[ \t]*=[ \t]*(?:({_TOKEN})|"((?:{_QDTEXT}|{_PAIR})*)")?)?[ \t]*(?:;.*)?',
    re.DOTALL,
)
# The name of an element whose value is malformed: still that preference's first instance.
_NAME = re.compile(rf"[ \t]*({_TOKEN})[ \t]*(?:[=;]|\Z)")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
# A quoted-string (an unterminated one runs to the end) or a comma outside one.
_QUOTED_OR_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"?|,', re.DOTALL)
_KNOWN = frozenset({"respond-async", "wait"})


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the client prefers: an asynchronous response (RFC 7240 §4.1), and how many
    seconds it would wait for a synchronous one (§4.3), ``None`` when it did not say."""

    respond_async: bool = False
    wait: float | None = None

    def __post_init__(self) -> None:
        if self.wait is not None and not 0 <= self.wait < math.inf:
            raise ValueError(f"wait must be a finite number of seconds >= 0, not {self.wait!r}")


def parse_prefer(value: str | None, *, max_wait: float) -> Preferences:
    """``respond-async`` and ``wait`` from a Prefer field; repeated lines joined with ", ".

    Names are case-insensitive; a value may be a token or a quoted-string; parameters after
    ";" are ignored (RFC 7240 §2). Only the first instance of a preference counts (§2), even
    when its value is unusable: then the preference is ignored, as is an unknown one.
    ``respond-async`` takes no value (§4.1); ``wait`` is delta-seconds (§4.3), clamped to
    ``max_wait``, and anything else (negative, fractional, empty) leaves it ``None``.
    """
    if not max_wait >= 0:
        raise ValueError(f"max_wait must be >= 0, not {max_wait!r}")
    first: dict[str, tuple[str | None, bool]] = {}
    for name, argument, well_formed in _preferences(value or ""):
        if name in _KNOWN and name not in first:
            first[name] = (argument, well_formed)
            if len(first) == len(_KNOWN):
                break  # the rest cannot matter
    respond_async = first.get("respond-async") == (None, True)
    wait = None
    argument, well_formed = first.get("wait", (None, False))
    seconds = delta_seconds(argument) if well_formed else None
    if seconds is not None:
        wait = float(min(seconds, max_wait))
    return Preferences(respond_async=respond_async, wait=wait)


def preference_applied(applied: Preferences) -> str | None:
    """The Preference-Applied field (RFC 7240 §3) naming what the server honoured, e.g.
    ``respond-async, wait=3``; ``None`` when it honoured nothing (send no field then).
    A fractional wait is rounded down, as delta-seconds are whole seconds."""
    parts = []
    if applied.respond_async:
        parts.append("respond-async")
    if applied.wait is not None:
        parts.append(f"wait={int(applied.wait)}")
    return ", ".join(parts) or None


def _preferences(value: str) -> Iterator[tuple[str, str | None, bool]]:
    """(lower-cased name, value or ``None``, well-formed) of each element that has a name."""
    for element in _elements(value):
        match = _PREFERENCE.fullmatch(element)
        if match is not None:
            name, token, quoted = match.groups()
            argument = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else token
            yield name.lower(), argument or None, True  # "" is no value (RFC 7240 §2)
        elif (named := _NAME.match(element)) is not None:
            yield named.group(1).lower(), None, False


def _elements(value: str) -> Iterator[str]:
    """``value`` split at the commas outside quoted-strings (RFC 9110 §5.6.1), lazily."""
    start = 0
    for match in _QUOTED_OR_COMMA.finditer(value):
        if match.group() == ",":
            yield value[start : match.start()]
            start = match.end()
    yield value[start:]
