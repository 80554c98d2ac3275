"""Cold HTML pages (``max-age=86400, stale-if-error=604800``) and the health check."""

from __future__ import annotations

from html import escape

from aiohttp import web

from . import catalog
from .http_cache import COLD_PAGE, NO_STORE
from .models import Page
from .params import not_found
from .respond import reply, reply_json
from .state import STATE

__all__ = ["render_page", "routes"]

HTML = "text/html; charset=utf-8"

routes = web.RouteTableDef()


def render_page(page: Page) -> str:
    """A whole HTML document around the page's stored fragment."""
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{escape(page.title)}</title></head>\n"
        f"<body><main>{page.body_html}</main></body>\n</html>\n"
    )


async def _page(request: web.Request, kind: str, tag: str) -> web.Response:
    slug = request.match_info["slug"]
    page = catalog.get_page(request.app[STATE].conn, kind, slug)
    if page is None:
        raise not_found("slug", f"no {kind} page {slug!r}")
    return reply(
        request,
        render_page(page).encode(),
        content_type=HTML,
        policy=COLD_PAGE,
        tags=[tag, f"{tag}:{slug}"],
        last_modified=page.updated_at,
    )


@routes.get("/pages/{slug}")
async def marketing_page(request: web.Request) -> web.Response:
    return await _page(request, "marketing", "page")


@routes.get("/help/{slug}")
async def help_page(request: web.Request) -> web.Response:
    return await _page(request, "help", "help")


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    request.app[STATE].conn.execute("SELECT 1").fetchone()
    return reply_json(request, {"status": "ok"}, policy=NO_STORE)
