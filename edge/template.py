"""The view template: a JSON document with ``{{ name.path }}`` holes, and nothing more.

A string that is exactly one hole becomes the value it names, any JSON value; a hole inside a
longer string is replaced by the value's text (a string as is, ``null`` as nothing, anything
else as JSON). A name is a part or a parameter of the view; each ``.segment`` after it reads an
object member or, for digits, an array element; a path that leads nowhere gives ``null``. No
loops, conditions or code: a storefront's view is a shape, and the page does the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

__all__ = ["HOLE", "holes", "render"]

HOLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_\-]+)*)\s*\}\}")
"""``{{ name.seg.seg }}``; group 1 is the name, group 2 the dotted path."""


def render(template: object, values: Mapping[str, object]) -> object:
    """``template`` with every hole filled from ``values``."""
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    if not isinstance(template, str) or "{{" not in template:
        return template
    whole = HOLE.fullmatch(template)
    if whole is not None:
        return _lookup(values, whole[1], whole[2])
    return HOLE.sub(lambda found: _text(_lookup(values, found[1], found[2])), template)


def holes(template: object) -> Iterator[str]:
    """The names ``template`` refers to, for checking at load time."""
    if isinstance(template, dict):
        for value in template.values():
            yield from holes(value)
    elif isinstance(template, list):
        for value in template:
            yield from holes(value)
    elif isinstance(template, str):
        for found in HOLE.finditer(template):
            yield found[1]


def _lookup(values: Mapping[str, object], name: str, path: str) -> object:
    value = values.get(name)
    for segment in path.split(".")[1:]:
        if isinstance(value, dict):
            value = value.get(segment)
        elif (
            isinstance(value, list)
            and segment.isdigit()
            and len(segment.lstrip("0")) <= len(str(len(value)))  # int() refuses 4301 digits
            and int(segment) < len(value)
        ):
            value = value[int(segment)]
        else:
            return None
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
