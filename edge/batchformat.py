"""The ``POST /_edge/batch`` body: Microsoft Graph's JSON batching format, checked whole.

``{"requests": [{"id", "method", "url", "headers"?, "body"?, "dependsOn"?}]}``. A batch is
checked completely before any item runs, so a malformed one changes nothing at the origin;
each error names the item, the field and a JSON Pointer (RFC 6901) to it. As in Graph, ids are
strings compared without case, a body needs a ``Content-Type`` header, and a body whose type is
not JSON travels base64-encoded. Whether an item's URL is allowed is checked per item later
(``batchsafety``): a refused URL fails that item, not the batch.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jsonbounds
from batchconfig import BatchSettings

__all__ = [
    "METHODS",
    "Batch",
    "BatchError",
    "BatchItem",
    "is_json_type",
    "parse_batch_body",
]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_ITEM_KEYS = ("id", "method", "url", "headers", "body", "dependsOn")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field-name
# RFC 9110 §5.5 field-value: visible ASCII, obs-text, spaces and tabs, nothing else (a CR or
# LF would inject a field; the runtime's Headers refuses the rest at fetch time).
_BAD_VALUE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MAX_ID = 128
_MAX_FIELDS = 64
_MAX_FIELD = 8192
_JSON_TYPE = re.compile(r"application/(?:[a-z0-9.\-]+\+)?json", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One checked request of a batch."""

    id: str
    method: str
    """Upper case, one of ``METHODS``."""
    url: str
    """As the client sent it; ``batchsafety.refuse_url`` decides whether it may go."""
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    depends_on: tuple[str, ...]
    """The ids of the items this one waits for, as those items spell them."""


@dataclass(frozen=True, slots=True)
class Batch:
    items: tuple[BatchItem, ...]


class BatchError(ValueError):
    """A batch refused whole: 400, naming the item (when one is at fault) and the field."""

    def __init__(self, detail: str, *, pointer: str, field: str, item: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.field = field
        self.item = item


_Fail = Callable[[str, str], BatchError]  # (detail, field) -> the error to raise


def is_json_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` is JSON (``application/json`` or ``application/*+json``)."""
    if content_type is None:
        return False
    return _JSON_TYPE.fullmatch(content_type.partition(";")[0].strip()) is not None


def parse_batch_body(body: bytes, settings: BatchSettings) -> Batch:
    """The batch in ``body``; BatchError for anything not a valid batch within the limits."""
    if len(body) > settings.max_body:
        raise BatchError(
            f"the batch body is {len(body)} bytes, more than the {settings.max_body} allowed",
            pointer="",
            field="body",
        )
    document = _json(body)
    if not isinstance(document, dict):
        raise BatchError("the batch must be a JSON object", pointer="", field="body")
    for key in document:
        if key != "requests":
            raise BatchError(f"unknown member {key!r}", pointer=f"/{_escape(key)}", field=key)
    requests = document.get("requests")
    if not isinstance(requests, list) or not requests:
        raise BatchError(
            "'requests' must be a non-empty array", pointer="/requests", field="requests"
        )
    if len(requests) > settings.max_items:
        raise BatchError(
            f"{len(requests)} requests, more than the {settings.max_items} a batch may hold",
            pointer="/requests",
            field="requests",
        )
    items: list[BatchItem] = []
    seen: dict[str, str] = {}
    for index, value in enumerate(requests):
        item = _item(value, f"/requests/{index}")
        if _fold(item.id) in seen:
            raise BatchError(
                f"duplicate id {item.id!r} (ids are compared without case)",
                pointer=f"/requests/{index}/id",
                field="id",
                item=item.id,
            )
        seen[_fold(item.id)] = item.id
        items.append(item)
    resolved = tuple(_resolve(item, index, seen) for index, item in enumerate(items))
    _check_order(resolved, settings.max_depth)
    return Batch(resolved)


def _json(body: bytes) -> object:
    try:
        return jsonbounds.load_document(body)
    except ValueError as exc:  # TooDeep included
        raise BatchError(
            f"the batch body is not valid JSON: {exc}", pointer="", field="body"
        ) from None


def _item(value: object, pointer: str) -> BatchItem:
    if not isinstance(value, dict):
        raise BatchError("each request must be a JSON object", pointer=pointer, field="requests")
    raw_id = value.get("id")
    item = raw_id if isinstance(raw_id, str) else None

    def fail(detail: str, field: str) -> BatchError:
        return BatchError(detail, pointer=f"{pointer}/{_escape(field)}", field=field, item=item)

    for key in value:
        if key not in _ITEM_KEYS:
            raise fail(f"unknown member {key!r} (expected {', '.join(_ITEM_KEYS)})", key)
    if item is None:
        raise fail("missing or not a string: 'id' is required", "id")
    if not item or len(item) > _MAX_ID or not item.isprintable():
        raise fail(f"must be 1 to {_MAX_ID} printable characters", "id")
    method = value.get("method")
    if not isinstance(method, str) or not method.isascii() or method.upper() not in METHODS:
        expected = ", ".join(METHODS)
        raise fail(f"unknown or missing method {method!r} (expected {expected})", "method")
    method = method.upper()
    url = value.get("url")
    if not isinstance(url, str) or not url:
        raise fail("missing or not a string: 'url' is required", "url")
    headers = _headers(value.get("headers", {}), fail)
    body = _body(value, method, headers, fail)
    depends = value.get("dependsOn", [])
    if not isinstance(depends, list) or not all(isinstance(dep, str) for dep in depends):
        raise fail("must be an array of request ids", "dependsOn")
    return BatchItem(item, method, url, headers, body, tuple(depends))


def _headers(value: object, fail: _Fail) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise fail("must be an object of header names to string values", "headers")
    if len(value) > _MAX_FIELDS:
        raise fail(f"more than {_MAX_FIELDS} header fields", "headers")
    fields: list[tuple[str, str]] = []
    for name, field in value.items():
        if _TOKEN.fullmatch(name) is None:
            raise fail(f"{name!r} is not a header field name", "headers")
        if not isinstance(field, str):
            raise fail(f"the value of {name!r} must be a string", "headers")
        if _BAD_VALUE.search(field) or len(field) > _MAX_FIELD:
            raise fail(
                f"the value of {name!r} must be one line of at most {_MAX_FIELD} characters, "
                "printable ASCII or Latin-1 (RFC 9110 field-value)",
                "headers",
            )
        if any(known == name.lower() for known, _ in fields):
            raise fail(
                f"{name!r} is given twice (header names are compared without case)", "headers"
            )
        fields.append((name.lower(), field.strip(" \t")))
    return tuple(fields)


def _fold(item_id: str) -> str:
    """An id as ids are compared: ASCII letters without case (Graph), nothing else folded."""
    return item_id.translate(_ASCII_LOWER)


def _body(
    value: Mapping[str, object], method: str, headers: tuple[tuple[str, str], ...], fail: _Fail
) -> bytes | None:
    if value.get("body") is None:
        return None
    if method in ("GET", "HEAD"):
        raise fail(f"a {method} request has no body", "body")
    content_type = next((field for name, field in headers if name == "content-type"), None)
    if content_type is None:
        raise fail("a request with a body needs a Content-Type header", "headers")
    body = value["body"]
    if is_json_type(content_type):
        return jsonbounds.dump(body)
    if not isinstance(body, str):
        raise fail(f"a {content_type} body must be a base64 string", "body")
    text = body.rstrip("=").replace("-", "+").replace("_", "/")  # base64 or base64url
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise fail("not valid base64", "body") from None


def _resolve(item: BatchItem, index: int, ids: Mapping[str, str]) -> BatchItem:
    depends: list[str] = []
    for position, dep in enumerate(item.depends_on):
        target = ids.get(_fold(dep))
        pointer = f"/requests/{index}/dependsOn/{position}"
        if target is None:
            raise BatchError(
                f"depends on {dep!r}, which is not in the batch",
                pointer=pointer,
                field="dependsOn",
                item=item.id,
            )
        if target == item.id:
            raise BatchError("depends on itself", pointer=pointer, field="dependsOn", item=item.id)
        if target not in depends:
            depends.append(target)
    return BatchItem(item.id, item.method, item.url, item.headers, item.body, tuple(depends))


def _check_order(items: tuple[BatchItem, ...], max_depth: int) -> None:
    """Refuse a dependency cycle or a chain longer than ``max_depth`` (depth-first, no
    recursion: a hostile batch must not reach the interpreter's recursion limit)."""
    by_id = {item.id: (index, item) for index, item in enumerate(items)}
    depth: dict[str, int] = {}
    for start in items:
        path, pending = [start.id], [iter(start.depends_on)]
        while path:
            dep = next(pending[-1], None)
            if dep is None:
                current = path.pop()
                pending.pop()
                deps = by_id[current][1].depends_on
                depth[current] = 1 + max((depth[dep] for dep in deps), default=-1)
                if depth[current] > max_depth:
                    raise _order_error(
                        f"its dependsOn chain is {depth[current]} deep, more than the {max_depth} "
                        "allowed",
                        by_id[current][0],
                        current,
                    )
            elif dep in path:
                cycle = " -> ".join([*path[path.index(dep) :], dep])
                raise _order_error(f"a dependency cycle: {cycle}", by_id[path[-1]][0], path[-1])
            elif dep not in depth:
                path.append(dep)
                pending.append(iter(by_id[dep][1].depends_on))


def _order_error(detail: str, index: int, item: str) -> BatchError:
    return BatchError(detail, pointer=f"/requests/{index}/dependsOn", field="dependsOn", item=item)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
