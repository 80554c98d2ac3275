"""Hot price routes (``max-age=10``), localised by ``?city=`` or the ``Edge-Geo-Zone`` header.

The zone header comes from the edge, which maps a visitor to a city or store zone. A known
city id or store id narrows the answer to that city; anything else gets every city, so a zone
the origin does not price never breaks a page. The response always says ``Vary: Edge-Geo-Zone``.
It carries ``price:<sku>``, which the edge purges on a price change, and ``zone:<zone>`` when
the zone narrowed it.
"""

from __future__ import annotations

from aiohttp import web

from . import catalog
from .http_cache import HOT_PRICES
from .pricing import city_price
from .respond import reply_json
from .routes_catalog import require_city, require_product
from .state import STATE
from .tags import price_tag, zone_tag
from .zones import request_zone, zone_city

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/prices/{sku}")
async def prices(request: web.Request) -> web.Response:
    conn = request.app[STATE].conn
    product = require_product(conn, request.match_info["sku"])
    city_id = request.query.get("city")
    narrowed: list[str] = []  # the zone tag, when the zone picked the city
    if city_id is not None:
        cities = [require_city(conn, city_id)]
    else:
        zone = request_zone(request)
        picked = zone_city(conn, zone)
        cities = [picked] if picked else catalog.list_cities(conn)
        narrowed = [zone_tag(zone)] if picked and zone else []
    promotions = catalog.promotions_for(conn, product.sku)
    shown = [promotions[c.id] for c in cities if c.id in promotions]
    items = []
    for city in cities:
        price = city_price(product, city, promotions.get(city.id))
        items.append(
            {
                "city": price.city_id,
                "currency": price.currency,
                "list_cents": price.list_cents,
                "amount_cents": price.amount_cents,
                "promotion": price.promotion,
                "percent_off": price.percent_off,
            }
        )
    stamps = [product.updated_at] + [c.updated_at for c in cities] + [p.updated_at for p in shown]
    return reply_json(
        request,
        {"sku": product.sku, "prices": items},
        policy=HOT_PRICES,
        tags=["prices", f"product:{product.sku}"]
        + [f"city:{c.id}" for c in cities]
        + [price_tag(product.sku)]
        + narrowed,
        last_modified=max(stamps),
    )
