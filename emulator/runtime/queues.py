"""A queue producer binding (``env.MY_QUEUE``), as the Workers runtime shows it to Python.

Contract (https://developers.cloudflare.com/queues/configuration/javascript-apis/#producer and
/queues/platform/limits/); both methods are ``async``; options come as a dict positional
argument or as keywords (the SDK turns keywords into a trailing JS options object):

- ``send(body, contentType=None, delaySeconds=None)``;
- ``sendBatch(messages, delaySeconds=None)``: ``messages`` is an iterable of dicts with
  ``body`` and optional ``contentType`` and ``delaySeconds`` (a message's own delay wins).

``contentType`` is ``"text"`` (a ``str``), ``"bytes"`` (bytes-like), ``"json"`` or ``"v8"``
(structured clone). Without one, workerd (``src/workerd/api/queue.c++``) uses ``"json"`` when
the ``queues_json_messages`` compatibility flag is set and ``"v8"`` otherwise. Here ``"v8"``
clones what structured clone and the SDK's ``python_to_rpc`` carry for Python values (``None``,
``bool``, numbers, ``str``, bytes, lists, dicts with ``str`` keys, ``datetime``) and its size is
counted as the JSON text of the value (V8's wire format is close to it for such data).
A consumer receives JS objects as ``JsDict``, as ``python_from_rpc`` gives them.

Limits are production's: a message at most 128 KB (128,000 bytes, as Miniflare counts), a batch
at most 100 messages and 256 KB of bodies, a delay 0..43200 s. workerd checks the content type
and the body's type itself and throws a JS ``TypeError`` (here ``TypeError``); the limits are
checked by the queue broker, whose refusal workerd throws as ``Error("Queue send failed:
<text>")`` / ``Error("Queue sendBatch failed: <text>")`` with Miniflare's texts; a JS ``Error``
is ``QueueError`` here. Each message is stored (``QueueStore``) before the call returns.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..queuestore import QueueStore, StoredMessage
from .jsproxy import JsDict, JsObject
from .queue_batch import MAX_DELAY_SECONDS

__all__ = [
    "CONTENT_TYPES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_MESSAGES",
    "MAX_MESSAGE_BYTES",
    "QueueError",
    "WorkerQueue",
    "decode_body",
    "encode_body",
]

MAX_MESSAGE_BYTES = 128_000
MAX_BATCH_MESSAGES = 100
MAX_BATCH_BYTES = 256_000
CONTENT_TYPES = ("text", "bytes", "json", "v8")

# Tags of the v8 stand-in's JSON for what JSON itself cannot carry.
_BYTES_TAG = "\x00popcache:bytes"
_DATE_TAG = "\x00popcache:date"


class QueueError(Exception):
    """A JS ``Error`` thrown by the producer binding: ``Queue send failed: <text>``."""


def _plain(value: Any, clone: bool) -> Any:
    """``value`` as JSON-ready data; with ``clone``, bytes and datetimes are tagged."""
    if isinstance(value, JsObject):
        value = value.to_py()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) and not clone:
            return None  # JSON.stringify(NaN) is "null"
        return value
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("queue message object keys must be strings")
        return {key: _plain(item, clone) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, clone) for item in value]
    if clone and isinstance(value, bytes | bytearray | memoryview):
        return {_BYTES_TAG: base64.b64encode(bytes(value)).decode()}
    if clone and isinstance(value, datetime):
        return {_DATE_TAG: value.isoformat()}
    raise TypeError(f"{type(value).__name__} could not be cloned into a queue message")


def encode_body(body: Any, content_type: str) -> bytes:
    """The bytes stored for ``body``; their length is what the limits count."""
    if content_type == "text":
        if not isinstance(body, str):
            raise TypeError(
                'Content Type "text" requires a value of type string, but received: '
                f"{type(body).__name__}"
            )
        return body.encode("utf-8", "surrogatepass")
    if content_type == "bytes":
        if not isinstance(body, bytes | bytearray | memoryview):
            raise TypeError(
                'Content Type "bytes" requires a value of type ArrayBufferView, but received: '
                f"{type(body).__name__}"
            )
        return bytes(body)
    clone = content_type == "v8"
    return json.dumps(
        _plain(body, clone), separators=(",", ":"), ensure_ascii=False, allow_nan=clone
    ).encode()


def _revive(item: dict[str, Any]) -> Any:
    if len(item) == 1 and _BYTES_TAG in item:
        return base64.b64decode(item[_BYTES_TAG])
    if len(item) == 1 and _DATE_TAG in item:
        return datetime.fromisoformat(item[_DATE_TAG])
    return JsDict(item)


def decode_body(data: bytes, content_type: str) -> Any:
    """What the consumer's ``message.body`` is for stored ``data``."""
    if content_type == "text":
        return data.decode("utf-8", "surrogatepass")
    if content_type == "bytes":
        return data
    if content_type == "json":
        return json.loads(data, object_hook=JsDict)
    return json.loads(data, object_hook=_revive)


def _content_type(value: object) -> str:
    if not isinstance(value, str) or value.lower() not in CONTENT_TYPES:
        raise TypeError(f"Unsupported queue message content type: {value}")
    return value.lower()


def _delay(op: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("delaySeconds must be a number")
    if not 0 <= value <= MAX_DELAY_SECONDS:
        raise QueueError(
            f"Queue {op} failed: message delay {value:g} is invalid: "
            f"must be between 0 and {MAX_DELAY_SECONDS}"
        )
    return int(value)


def _options(options: object, **kwargs: object) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if isinstance(options, Mapping):
        opts.update(options)
    elif options is not None:
        raise TypeError(f"queue options must be a dict, got {type(options).__name__}")
    opts.update({key: value for key, value in kwargs.items() if value is not None})
    return opts


class WorkerQueue:
    """``env.<binding>`` of a ``[[queues.producers]]`` entry."""

    def __init__(
        self,
        store: QueueStore,
        queue: str,
        clock: Clock,
        *,
        delivery_delay: int = 0,
        default_content_type: str = "v8",
        on_send: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._queue = queue
        self._clock = clock
        self._delivery_delay = delivery_delay
        self._default_type = default_content_type
        self._on_send = on_send

    def __repr__(self) -> str:
        return f"WorkerQueue({self._queue!r})"

    def _message(self, body: bytes, content_type: str, delay: int | None) -> StoredMessage:
        now = self._clock.now()
        wait = self._delivery_delay if delay is None else delay
        return StoredMessage(uuid.uuid4().hex, self._queue, body, content_type, now, 0, now + wait)

    def _commit(self, messages: list[StoredMessage]) -> None:
        self._store.enqueue(messages)
        if self._on_send is not None:
            self._on_send()

    async def send(
        self,
        body: Any,
        options: Mapping[str, Any] | None = None,
        *,
        contentType: str | None = None,
        delaySeconds: int | None = None,
    ) -> None:
        opts = _options(options, contentType=contentType, delaySeconds=delaySeconds)
        content_type = _content_type(opts.get("contentType", self._default_type))
        data = encode_body(body, content_type)
        delay = _delay("send", opts.get("delaySeconds"))
        if len(data) > MAX_MESSAGE_BYTES:
            raise QueueError(
                f"Queue send failed: message length of {len(data)} bytes exceeds limit of "
                f"{MAX_MESSAGE_BYTES}"
            )
        self._commit([self._message(data, content_type, delay)])

    async def sendBatch(
        self,
        messages: Iterable[Mapping[str, Any]],
        options: Mapping[str, Any] | None = None,
        *,
        delaySeconds: int | None = None,
    ) -> None:
        opts = _options(options, delaySeconds=delaySeconds)
        requests = list(messages)
        if not requests:
            raise TypeError("sendBatch() requires at least one message")
        encoded: list[tuple[bytes, str, int | None]] = []
        for request in requests:
            if isinstance(request, JsObject):
                request = request.to_py()
            if not isinstance(request, Mapping):
                raise TypeError("each message of sendBatch() must be a dict with a body")
            if "body" not in request:
                raise TypeError("Message body cannot be undefined")
            content_type = _content_type(request.get("contentType") or self._default_type)
            data = encode_body(request["body"], content_type)
            encoded.append((data, content_type, _delay("sendBatch", request.get("delaySeconds"))))
        batch_delay = _delay("sendBatch", opts.get("delaySeconds"))
        if len(encoded) > MAX_BATCH_MESSAGES:
            raise QueueError(
                f"Queue sendBatch failed: batch message count of {len(encoded)} exceeds limit "
                f"of {MAX_BATCH_MESSAGES}"
            )
        largest = max(len(data) for data, _, _ in encoded)
        if largest > MAX_MESSAGE_BYTES:
            raise QueueError(
                f"Queue sendBatch failed: message in batch has length {largest} bytes which "
                f"exceeds single message size limit of {MAX_MESSAGE_BYTES}"
            )
        total = sum(len(data) for data, _, _ in encoded)
        if total > MAX_BATCH_BYTES:
            raise QueueError(
                f"Queue sendBatch failed: batch size of {total} bytes exceeds limit of "
                f"{MAX_BATCH_BYTES}"
            )
        self._commit(
            [
                self._message(data, content_type, delay if delay is not None else batch_delay)
                for data, content_type, delay in encoded
            ]
        )
