"""Wiring: the aiohttp application factory and a helper that serves it on loopback."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from emulator.clock import Clock, SystemClock

from . import routes_admin, routes_cart, routes_catalog, routes_pages, routes_prices, routes_stock
from .db import open_database
from .middleware import knobs, problems
from .outbox import OUTBOX, EventOutbox
from .state import STATE, OriginState, Sleep

__all__ = ["create_app", "start_origin"]


def create_app(
    db_path: Path | None,
    *,
    rng: random.Random | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    events_url: str | None = None,
    events_secret: str | None = None,
) -> web.Application:
    """The demo origin on the SQLite file ``db_path`` (seeded if empty; ``None`` = in memory).

    ``rng`` drives the failure knobs and new ids, ``clock`` stamps writes, and ``sleep``
    waits out injected latency and event retries; tests pass seeded, fake or recording ones.
    With both ``events_url`` (the edge's ``/_edge/events``) and ``events_secret``, stock
    changes are sent there as signed inventory events (:mod:`.outbox`); without, none are.
    Raises :class:`emulator.errors.ConfigError` if the database cannot be opened.
    """
    state = OriginState(
        conn=open_database(db_path),
        clock=clock or SystemClock(),
        rng=rng or random.Random(),
        sleep=sleep or asyncio.sleep,
    )
    app = web.Application(middlewares=[problems, knobs])
    app[STATE] = state
    outbox = EventOutbox(
        events_url, events_secret, clock=state.clock, sleep=state.sleep, new_id=state.new_id
    )
    app[OUTBOX] = outbox

    async def close_database(app: web.Application) -> AsyncIterator[None]:
        yield
        app[STATE].conn.close()

    app.cleanup_ctx.append(close_database)
    app.cleanup_ctx.append(outbox.lifetime)
    for module in (
        routes_catalog,
        routes_stock,
        routes_prices,
        routes_pages,
        routes_cart,
        routes_admin,
    ):
        app.add_routes(module.routes)
    return app


async def start_origin(
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: Path | None = None,
    *,
    events_url: str | None = None,
    events_secret: str | None = None,
    clock: Clock | None = None,
) -> tuple[web.AppRunner, str]:
    """Serve the demo origin; returns the runner (``await runner.cleanup()`` stops it) and
    its base URL, with the real port when ``port`` is 0. ``events_url`` and
    ``events_secret`` are :func:`create_app`'s."""
    app = create_app(db_path, clock=clock, events_url=events_url, events_secret=events_secret)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    if ":" in bound_host:  # IPv6 literal (RFC 3986 §3.2.2)
        bound_host = f"[{bound_host}]"
    return runner, f"http://{bound_host}:{bound_port}"
