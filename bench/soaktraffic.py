"""The soak's traffic (bench/soak.py): a storefront's mixed reads over three PoPs, drawn at
random over a large key space.

Each request is pinned to a PoP (``X-Popcache-Pop``) and placed at a random point around one
of the demo's three cities (``X-Popcache-Client-Geo``), so every request brings a new client
location: the front door's ``request.cf`` cache and the edge's geo and zone memos see unbounded
distinct inputs. Product pages carry random tracking parameters (dropped from the cache key,
never from the memo keyed by the raw URL) and recommendations random coordinates (rounded to
a geocell in the key), so the raw URLs never repeat while the cache keys stay finite. The mix:
product pages, listings, stock and prices, recommendations, HTML pages, ``POST /_edge/batch``
batches of those API reads, and ``GET /_edge/views/pdp`` views.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from emulator.anycast import GEO_HEADER, POP_HEADER

__all__ = ["CITIES", "KINDS", "POPS", "Ask", "Catalogue", "Traffic"]

POPS = ("SFO", "ORD", "LHR")
CITIES = {  # the demo origin's cities (docs/origin.md), by centre
    "san-francisco": (37.7749, -122.4194),
    "chicago": (41.8781, -87.6298),
    "london": (51.5074, -0.1278),
}
_SPREAD = 0.08  # degrees around a city's centre: its stores' delivery areas and beyond
_TRACKING = ("utm_source", "utm_campaign", "gclid", "fbclid", "msclkid")
_PAGES = ("/pages/summer-market", "/pages/loyalty", "/pages/new-stores", "/help/delivery")
KINDS = {  # what a request is, and its share of the mix
    "product page": 30,
    "listing": 12,
    "stock or price": 15,
    "recommendations": 10,
    "html page": 5,
    "batch": 15,
    "view": 13,
}


@dataclass(frozen=True)
class Catalogue:
    """What the demo origin sells, read from it at start (so no sku is made up)."""

    skus: tuple[str, ...]
    categories: tuple[str, ...]
    stores: tuple[str, ...]


@dataclass(frozen=True)
class Ask:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass
class Traffic:
    catalogue: Catalogue
    rng: random.Random = field(default_factory=random.Random)

    def next(self) -> Ask:
        kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        lat, lon = self._point()
        headers = {POP_HEADER: self.rng.choice(POPS), GEO_HEADER: f"{lat:.6f},{lon:.6f}"}
        if kind == "batch":
            count = self.rng.randint(4, 12)
            items = [{"id": str(n), "method": "GET", "url": self._api_read()} for n in range(count)]
            body = json.dumps({"requests": items}).encode()
            headers["Content-Type"] = "application/json"
            return Ask(kind, "POST", "/_edge/batch", headers, body)
        if kind == "view":
            return Ask(kind, "GET", f"/_edge/views/pdp?sku={self._sku()}", headers)
        if kind == "html page":
            return Ask(kind, "GET", self.rng.choice(_PAGES), headers)
        path = {
            "product page": self._product_page,
            "listing": self._listing,
            "stock or price": self._stock_or_price,
            "recommendations": self._recommendations,
        }[kind]()
        return Ask(kind, "GET", path, headers)

    def stock_change(self) -> dict[str, object]:
        """A body for the demo origin's ``POST /_admin/stock``."""
        rng = self.rng
        return {
            "sku": self._sku(),
            "store_id": rng.choice(self.catalogue.stores),
            "qty": rng.randint(0, 40),
        }

    def _point(self) -> tuple[float, float]:
        lat, lon = self.rng.choice(list(CITIES.values()))
        return lat + self.rng.uniform(-_SPREAD, _SPREAD), lon + self.rng.uniform(-_SPREAD, _SPREAD)

    def _sku(self) -> str:
        return self.rng.choice(self.catalogue.skus)

    def _api_read(self) -> str:
        read = self.rng.choice(
            (self._product_page, self._listing, self._stock_or_price, self._recommendations)
        )
        return read()

    def _product_page(self) -> str:
        name = self.rng.choice(_TRACKING)
        return f"/api/products/{self._sku()}?{name}={self.rng.getrandbits(48):x}"

    def _listing(self) -> str:
        if self.rng.random() < 0.25:
            return f"/api/stores?city={self.rng.choice(list(CITIES))}"
        category = self.rng.choice(self.catalogue.categories)
        return f"/api/products?category={category}&limit=5&offset={self.rng.randrange(0, 10, 5)}"

    def _stock_or_price(self) -> str:
        return f"/api/{self.rng.choice(('inventory', 'prices'))}/{self._sku()}"

    def _recommendations(self) -> str:
        lat, lon = self._point()
        return f"/api/recommendations?lat={lat:.6f}&lon={lon:.6f}&limit=5"
