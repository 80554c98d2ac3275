"""Reading request input: query parameters and JSON bodies, each failure a 400 naming the field."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from emulator.errors import ProblemError

__all__ = ["bad_request", "float_param", "int_param", "json_object", "not_found", "str_field"]


def bad_request(field: str, detail: str) -> ProblemError:
    return ProblemError(400, "Bad request", detail, field=field)


def not_found(field: str, detail: str) -> ProblemError:
    return ProblemError(404, "Not found", detail, field=field)


def int_param(query: Mapping[str, str], name: str, *, default: int, lo: int, hi: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(name, f"must be an integer from {lo} to {hi}, got {raw!r}") from None
    if not lo <= value <= hi:
        raise bad_request(name, f"must be from {lo} to {hi}, got {value}")
    return value


def float_param(query: Mapping[str, str], name: str, *, lo: float, hi: float) -> float:
    """A required decimal number within ``[lo, hi]``."""
    raw = query.get(name)
    if raw is None:
        raise bad_request(name, f"is required: a number from {lo:g} to {hi:g}")
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(name, f"must be a number from {lo:g} to {hi:g}, got {raw!r}") from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise bad_request(name, f"must be from {lo:g} to {hi:g}, got {raw}")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object (strict JSON: no NaN or Infinity)."""
    try:
        data = json.loads(await request.text(), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("body", f"must be a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("body", "must be a JSON object")
    return data


def str_field(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(name, "is required: a non-empty string")
    return value
