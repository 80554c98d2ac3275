"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright.

The emulator and the demo origin run in this test's event loop, so the async Playwright API
drives the browser while they serve. No browser is ever downloaded: without /usr/bin/chromium
these tests skip, except under CI (``CI=true``), where ``.ci/run`` installs it and its absence
is a failure. Screenshots go to ``$POPCACHE_ARTIFACTS`` (default ``artifacts/``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright, expect

from emulator.dashboard import DASHBOARD_PATH, Dashboard

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("POPCACHE_ARTIFACTS") or REPO / "artifacts")
PRODUCT = "/api/products/BEV-COFFEE"
REQUESTS = 10
HOSTILE = "<img src=x onerror=alert(1)>"
SHOWN = 15_000
"""Milliseconds to wait for the page to show something: a few of its one-second polls."""


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium; missing, a skip here and a failure under CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def edge(popcache_emulator: Any, repo: Path) -> Any:
    return await popcache_emulator(repo / "wrangler.toml", origin="demo")


async def open_dashboard(browser: Browser, base_url: str, dialogs: list[str] | None = None) -> Page:
    """The dashboard in a fresh page; the message of any dialog it opens (an ``alert()`` run
    by markup in a name) goes to ``dialogs``."""
    page = await browser.new_page(viewport={"width": 1280, "height": 1400})
    if dialogs is not None:

        async def record(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", record)
    await page.goto(f"{base_url}{DASHBOARD_PATH}")
    return page


def figure(page: Page, name: str) -> Any:
    return page.locator(f'[data-figure="{name}"]')


def pop_field(page: Page, pop: str, field: str) -> Any:
    return page.locator(f'[data-pop="{pop}"] [data-field="{field}"]')


async def test_the_dashboard_shows_the_figures_of_the_traffic_sent(
    browser: Browser, edge: Any, artifacts: Path
) -> None:
    sfo = edge.client(pop="SFO")
    for _ in range(REQUESTS):
        async with sfo.get(PRODUCT) as reply:
            assert reply.status == 200
    await edge.drain()
    page = await open_dashboard(browser, edge.url)
    await expect(figure(page, "total.requests")).to_have_text(str(REQUESTS), timeout=SHOWN)
    await expect(pop_field(page, "SFO", "requests")).to_have_text(str(REQUESTS))
    await expect(pop_field(page, "SFO", "hit")).to_have_text(str(REQUESTS - 1))
    await expect(pop_field(page, "SFO", "miss")).to_have_text("1")
    await expect(pop_field(page, "SFO", "origin_requests")).to_have_text("1")
    await expect(pop_field(page, "SFO", "hit_ratio")).to_have_text("90.0%")
    await page.screenshot(path=artifacts / "dashboard.png", full_page=True)


async def test_the_slow_button_makes_the_demo_origin_slow(browser: Browser, edge: Any) -> None:
    page = await open_dashboard(browser, edge.url)
    await page.get_by_role("button", name="slow", exact=True).click()
    await expect(page.locator("#demo-result")).to_contain_text("is slow", timeout=SHOWN)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{edge.emulator.origin}/_admin/mode") as reply,
    ):
        assert (await reply.json())["mode"] == "slow"


def hostile_stats() -> dict[str, Any]:
    """Figures whose every name is markup, in the shape of ``/cdn-cgi/popcache/stats``."""
    traffic = {
        "requests": 4,
        "hit": 2,
        "stale": 1,
        "collapsed": 0,
        "miss": 1,
        "placeholder": 0,
        "bypass": 0,
        "error": 0,
        "errors": 1,
        "origin_requests": 1,
        "hit_ratio": 0.75,
        "offload": 0.75,
        "p50_ms": 3.0,
        "p99_ms": 40.0,
    }
    point = {key: traffic[key] for key in ("requests", "hit", "stale", "collapsed", "errors")}
    return {
        "at": 1_796_205_600.0,
        "window": 600,
        "total": traffic,
        "pops": {HOSTILE: {**traffic, "backpressure": 2}},
        "classes": {HOSTILE: traffic},
        "zones": {HOSTILE: {"requests": 4, "errors": 1, "error_rate": 0.25}},
        "invalidation": {"count": 1, "p50_ms": 120.0, "p99_ms": 120.0},
        "queues": {HOSTILE: 3},
        "purges": [
            {"time": 1_796_205_590.0, "mode": "hard", "selector": "tags", "values": [HOSTILE]}
        ],
        "series": [
            {
                "t": 1_796_205_000.0 + 10 * n,
                **point,
                "origin_requests": 1,
                "p99_ms": 40.0,
                "invalidation_p99_ms": 120.0,
            }
            for n in range(60)
        ],
    }


@pytest.fixture
async def fake_stats_url(aiohttp_server: Any) -> str:
    """The dashboard's files served beside a stats endpoint that answers ``hostile_stats``."""
    dashboard = Dashboard(None)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(hostile_stats())

    async def files(request: web.Request) -> web.Response:
        return await dashboard.handle(request)

    app = web.Application()
    app.router.add_get(f"{DASHBOARD_PATH}stats", stats)
    app.router.add_get(DASHBOARD_PATH + "{name:.*}", files)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


@pytest.mark.parametrize("kind", ["pop", "class", "zone", "queue"])
async def test_a_name_made_of_markup_is_shown_as_text(
    browser: Browser, fake_stats_url: str, kind: str
) -> None:
    dialogs: list[str] = []
    page = await open_dashboard(browser, fake_stats_url, dialogs)
    name_cell = page.locator(f"[data-{kind}] th")
    await expect(name_cell).to_have_text(HOSTILE, timeout=SHOWN)
    assert await page.locator(f"[data-{kind}]").get_attribute(f"data-{kind}") == HOSTILE
    assert await page.locator("img").count() == 0
    assert dialogs == []


async def test_a_purged_value_made_of_markup_is_shown_as_text(
    browser: Browser, fake_stats_url: str
) -> None:
    dialogs: list[str] = []
    page = await open_dashboard(browser, fake_stats_url, dialogs)
    values = page.locator('[data-purge="0"] [data-field="values"]')
    await expect(values).to_have_text(HOSTILE, timeout=SHOWN)
    assert await page.locator("img").count() == 0
    assert dialogs == []
