"""Admin routes under ``/_admin/``: the knobs, stock edits and the event counts. JSON in and
out, ``no-store``.

Knobs never apply here (see :mod:`.knobs`), so a broken origin can always be fixed. A stock
edit names the level it changed in ``Cache-Group-Invalidation`` and sends it to the edge as an
inventory event (:mod:`.outbox`); ``GET /_admin/events`` says how those sends went.
"""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from . import orders
from .changes import qty_now, stock_change
from .http_cache import NO_STORE
from .knobs import Knobs, parse_knobs
from .modes import MODES, mode_of
from .outbox import OUTBOX
from .params import bad_request, json_object, str_field
from .respond import reply_json
from .routes_catalog import require_product, require_store
from .state import STATE
from .tags import level_tag, stock_tags

__all__ = ["routes"]

STOCK_FIELDS = frozenset({"sku", "store_id", "qty", "delta"})
MAX_QTY = 1_000_000

routes = web.RouteTableDef()


@routes.get("/_admin/knobs")
async def get_knobs(request: web.Request) -> web.Response:
    return reply_json(request, request.app[STATE].knobs.to_json(), policy=NO_STORE)


@routes.put("/_admin/knobs")
async def put_knobs(request: web.Request) -> web.Response:
    """Replace the knobs; fields left out return to their defaults."""
    state = request.app[STATE]
    state.knobs = parse_knobs(await json_object(request))
    return reply_json(request, state.knobs.to_json(), policy=NO_STORE)


@routes.get("/_admin/mode")
async def get_mode(request: web.Request) -> web.Response:
    return reply_json(request, _mode(request.app[STATE].knobs), policy=NO_STORE)


@routes.put("/_admin/mode")
async def put_mode(request: web.Request) -> web.Response:
    """Switch to a named mode (``modes.MODES``): its knobs replace the current ones."""
    state = request.app[STATE]
    data = await json_object(request)
    name = data.get("mode")
    if not isinstance(name, str) or name not in MODES:
        raise bad_request("mode", f"must be one of {', '.join(MODES)}")
    state.knobs = MODES[name]
    return reply_json(request, _mode(state.knobs), policy=NO_STORE)


def _mode(knobs: Knobs) -> dict[str, object]:
    return {"mode": mode_of(knobs), "knobs": knobs.to_json()}


@routes.post("/_admin/knobs/reset")
async def reset_knobs(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.knobs = Knobs()
    return reply_json(request, state.knobs.to_json(), policy=NO_STORE)


def _count(value: object, field: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= MAX_QTY:
        raise bad_request(field, f"must be an integer from {lo} to {MAX_QTY}")
    return value


@routes.post("/_admin/stock")
async def edit_stock(request: web.Request) -> web.Response:
    """Set (``qty``) or adjust (``delta``) one product's stock at one store."""
    state = request.app[STATE]
    data = await json_object(request)
    for key in data:
        if key not in STOCK_FIELDS:
            raise bad_request(key, f"unknown field; expected {', '.join(sorted(STOCK_FIELDS))}")
    if ("qty" in data) == ("delta" in data):
        raise bad_request("qty", "give exactly one of qty (set) or delta (adjust)")
    product = require_product(state.conn, str_field(data, "sku"))
    store = require_store(state.conn, str_field(data, "store_id"))
    now = state.clock.now()
    before = qty_now(state.conn, product.sku, store.id)
    if "qty" in data:
        qty = _count(data["qty"], "qty", 0)
        level = orders.set_stock(state.conn, product.sku, store.id, qty, now)
    else:
        delta = _count(data["delta"], "delta", -MAX_QTY)
        level = orders.adjust_stock(state.conn, product.sku, store.id, delta, now)
    request.app[OUTBOX].announce(
        [stock_change(state.conn, product.sku, store.id, store.city_id, before)]
    )
    return reply_json(
        request,
        {**asdict(level), "purge_tags": stock_tags([store.id])},
        policy=NO_STORE,
        invalidates=[level_tag(product.sku, store.id)],
    )


@routes.get("/_admin/events")
async def get_events(request: web.Request) -> web.Response:
    """Where inventory events go and how many were sent, gave up on, or are under way."""
    return reply_json(request, request.app[OUTBOX].status(), policy=NO_STORE)
