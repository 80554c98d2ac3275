"""What a fuzz target counts as a crash, and how it reads structure out of raw bytes.

A parser may return anything or raise its documented refusal (the exception its endpoint turns
into a 4xx, as the hostile tests allow); any other exception, or a call slower than
``BUDGET``, is a crash: it escapes ``fuzz_one`` and libFuzzer saves the input.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["BUDGET", "SEPARATOR", "SlowCall", "checked", "fields", "framed", "pick", "text"]

BUDGET = 2.0
"""Seconds one parser call may take on a fuzzer-sized input (at most a few KiB), under
coverage instrumentation; the hostile tests allow 1 s uninstrumented for 64 KiB."""

SEPARATOR = b"\x1f"
"""Splits one input into the several fields of a multi-field parser (ASCII Unit Separator)."""


class SlowCall(AssertionError):
    """A parser call took longer than its budget: a hang in the making."""


def checked(
    refusals: tuple[type[Exception], ...],
    call: Callable[..., Any],
    *args: Any,
    budget: float = BUDGET,
    **kwargs: Any,
) -> Any:
    """What ``call`` returned, or the documented refusal it raised; anything else propagates,
    and a call over ``budget`` seconds raises SlowCall."""
    start = time.perf_counter()
    try:
        result = call(*args, **kwargs)
    except refusals as refusal:
        result = refusal
    elapsed = time.perf_counter() - start
    if elapsed > budget:
        raise SlowCall(f"{getattr(call, '__qualname__', call)} took {elapsed:.2f} s")
    return result


def text(raw: bytes) -> str:
    """``raw`` as the HTTP layer hands a header value over: UTF-8, with bytes that are not
    UTF-8 as lone surrogates (``surrogateescape``)."""
    return raw.decode("utf-8", "surrogateescape")


def pick(data: bytes, count: int) -> tuple[int, bytes]:
    """The first byte chooses one of ``count`` parsers; the rest is that parser's input."""
    if not data:
        return 0, b""
    return data[0] % count, data[1:]


def one_of(parsers: tuple[Callable[[bytes], object], ...]) -> Callable[[bytes], None]:
    """A target feeding each input to one of ``parsers``, which its first byte picks."""

    def fuzz_one(data: bytes) -> None:
        choice, raw = pick(data, len(parsers))
        parsers[choice](raw)

    return fuzz_one


def fields(raw: bytes, count: int) -> list[str | None]:
    """``count`` header values split from ``raw`` at SEPARATOR; a missing one is None."""
    values: list[str | None] = [text(part) for part in raw.split(SEPARATOR, count - 1)]
    return values + [None] * (count - len(values))


def framed(choice: int, *parts: bytes | str) -> bytes:
    """A seed: the parser ``choice`` and its fields, as ``pick`` and ``fields`` read them."""
    encoded = [
        part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part for part in parts
    ]
    return bytes([choice]) + SEPARATOR.join(encoded)
