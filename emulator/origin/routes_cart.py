"""Personal routes: the cart and checkout. Always ``private, no-store``; never tagged.

A cart lives under a ``session`` cookie (HttpOnly, Path=/). A cart request without a known
session gets a new one, except a rejected request, which stores nothing, and checkout, which
has nothing to check out without one. A checkout names the stock levels it took from in
``Cache-Group-Invalidation`` and sends them to the edge as inventory events (:mod:`.outbox`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from emulator.errors import ProblemError

from . import orders
from .changes import checkout_changes
from .http_cache import BYPASS
from .models import CartLine
from .outbox import OUTBOX
from .params import bad_request, json_object, str_field
from .respond import reply_json
from .routes_catalog import require_product, require_store
from .state import STATE, OriginState
from .tags import level_tag, stock_tags

__all__ = ["SESSION_COOKIE", "routes"]

SESSION_COOKIE = "session"
CART_ITEM_FIELDS = frozenset({"sku", "store_id", "qty"})

routes = web.RouteTableDef()


def _cart(lines: Iterable[CartLine]) -> dict[str, Any]:
    items, totals = [], dict[str, int]()
    for line in lines:
        line_cents = line.unit_price_cents * line.qty
        items.append({**asdict(line), "line_cents": line_cents})
        totals[line.currency] = totals.get(line.currency, 0) + line_cents
    return {"items": items, "totals": totals}


def _known_session(request: web.Request) -> str | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    conn = request.app[STATE].conn
    return session_id if session_id and orders.session_exists(conn, session_id) else None


def _new_session(state: OriginState) -> str:
    session_id = state.new_id("s-")
    orders.open_session(state.conn, session_id, state.clock.now())
    return session_id


def _personal(
    request: web.Request,
    payload: object,
    session: str | None,
    status: int = 200,
    invalidates: Iterable[str] = (),
) -> web.Response:
    response = reply_json(request, payload, policy=BYPASS, status=status, invalidates=invalidates)
    if session is not None:
        response.set_cookie(SESSION_COOKIE, session, httponly=True, path="/", samesite="Lax")
    return response


@routes.get("/api/cart")
async def get_cart(request: web.Request) -> web.Response:
    state = request.app[STATE]
    session = _known_session(request)
    new = None if session else _new_session(state)
    return _personal(request, _cart(orders.cart_lines(state.conn, session or new or "")), new)


@routes.post("/api/cart/items")
async def add_item(request: web.Request) -> web.Response:
    state = request.app[STATE]
    data = await json_object(request)
    for key in data:
        if key not in CART_ITEM_FIELDS:
            raise bad_request(key, f"unknown field; expected {', '.join(sorted(CART_ITEM_FIELDS))}")
    qty = data.get("qty", 1)
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= orders.MAX_LINE_QTY:
        raise bad_request("qty", f"must be an integer from 1 to {orders.MAX_LINE_QTY}")
    product = require_product(state.conn, str_field(data, "sku"))
    store = require_store(state.conn, str_field(data, "store_id"))
    session = _known_session(request)
    if session is not None:
        orders.add_to_cart(state.conn, session, product.sku, store.id, qty)
        return _personal(request, _cart(orders.cart_lines(state.conn, session)), None, 201)
    new = _new_session(state)
    orders.add_to_cart(state.conn, new, product.sku, store.id, qty)
    return _personal(request, _cart(orders.cart_lines(state.conn, new)), new, 201)


@routes.post("/api/checkout")
async def checkout(request: web.Request) -> web.Response:
    state = request.app[STATE]
    session = _known_session(request)
    if session is None:
        raise ProblemError(409, "Cart is empty", "no cart for this session", field="cart")
    order_id = state.new_id("ord-")
    lines = orders.checkout(state.conn, session, order_id, state.clock.now())
    changes = checkout_changes(state.conn, lines)
    request.app[OUTBOX].announce(changes)
    payload = {
        "order_id": order_id,
        **_cart(lines),
        "purge_tags": stock_tags(sorted({line.store_id for line in lines})),
    }
    groups = [level_tag(change.sku, change.store_id) for change in changes]
    return _personal(request, payload, None, 201, invalidates=groups)
