"""A storefront's product pages as batches, for the batch section's dedup count.

Each shopper opens one product page, and the page asks for everything it shows in one
``POST /_edge/batch``: the header's store picker and featured-category menu, the product, its
stock and price, recommendations near the shopper, the product's category twice (breadcrumb
and the "more in this category" carousel), the footer's store locator (the store list again)
and two recently viewed products. So a batch repeats some of its own items, and shoppers share
the rest: the catalogue is small and its popularity skewed (a few products draw most views),
and shoppers are placed, as Cloudflare places a client, at the centre of one of a few postal
areas of one city, served by one PoP. Everything follows from the seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AREAS",
    "CATEGORIES",
    "FEATURED",
    "PRODUCTS_PER_CATEGORY",
    "MixCounts",
    "Page",
    "catalogue",
    "count_mix",
    "repeats",
    "storefront_pages",
]

CATEGORIES = ("bakery", "produce", "dairy", "pantry", "beverages", "household")
PRODUCTS_PER_CATEGORY = 10
FEATURED = "bakery"
"""The header menu's featured category: the same on every page."""
AREAS: tuple[tuple[str, float, float], ...] = (
    # San Francisco postal areas, at their centres (what request.cf gives a client there)
    ("94110 Mission", 37.7486, -122.4158),
    ("94114 Castro", 37.7587, -122.4330),
    ("94123 Marina", 37.8004, -122.4382),
    ("94122 Sunset", 37.7599, -122.4848),
    ("94118 Richmond", 37.7812, -122.4614),
    ("94103 SoMa", 37.7726, -122.4110),
    ("94109 Nob Hill", 37.7917, -122.4186),
    ("94124 Bayview", 37.7309, -122.3886),
    ("94131 Noe Valley", 37.7457, -122.4421),
    ("94117 Haight", 37.7701, -122.4441),
)
RECENTLY_VIEWED = 2


@dataclass(frozen=True, slots=True)
class Page:
    """One shopper's product page: where the shopper is, and the URLs its batch asks for."""

    area: str
    lat: float
    lon: float
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MixCounts:
    items: int
    """Items sent: what the pages would ask the origin for with no edge cache."""
    in_batch: int
    """Distinct URLs within each batch, summed: what is left once each batch drops its own
    repeats."""
    distinct: int
    """Distinct URLs over every batch."""


def catalogue() -> tuple[tuple[str, str], ...]:
    """Every (sku, category), in popularity order: a popular product of each category first."""
    rows = [
        (f"{category[:3].upper()}-{n:03d}", category)
        for n in range(1, PRODUCTS_PER_CATEGORY + 1)
        for category in CATEGORIES
    ]
    return tuple(rows)


def _page(sku: str, category: str, lat: float, lon: float, viewed: Sequence[str]) -> list[str]:
    return [
        "/api/stores",  # header: store picker
        f"/api/products?category={FEATURED}&limit=8",  # header: featured menu
        f"/api/products/{sku}",
        f"/api/inventory/{sku}",
        f"/api/prices/{sku}",
        f"/api/recommendations?lat={lat:.4f}&lon={lon:.4f}&limit=4",
        f"/api/products?category={category}&limit=8",  # breadcrumb
        f"/api/products?category={category}&limit=8",  # "more in this category" carousel
        "/api/stores",  # footer: store locator
        *(f"/api/products/{other}" for other in viewed),  # recently viewed
    ]


def storefront_pages(shoppers: int, seed: int) -> list[Page]:
    """``shoppers`` product pages; views follow Zipf's law (weight 1/rank) over the catalogue."""
    rng = random.Random(seed)
    products = catalogue()
    weights = [1 / rank for rank in range(1, len(products) + 1)]
    pages = []
    for _ in range(shoppers):
        area, lat, lon = rng.choice(AREAS)
        sku, category = rng.choices(products, weights)[0]
        viewed: list[str] = []
        while len(viewed) < RECENTLY_VIEWED:
            other = rng.choices(products, weights)[0][0]
            if other != sku and other not in viewed:
                viewed.append(other)
        pages.append(Page(area, lat, lon, tuple(_page(sku, category, lat, lon, viewed))))
    return pages


def count_mix(pages: Sequence[Page]) -> MixCounts:
    return MixCounts(
        items=sum(len(page.urls) for page in pages),
        in_batch=sum(len(set(page.urls)) for page in pages),
        distinct=len({url for page in pages for url in page.urls}),
    )


def repeats(requests: Sequence[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """Of the origin's requests as (URL, Edge-Geo-Zone), those it saw more than once, and how
    many times: each is one cache key asked for again."""
    seen = Counter(requests)
    return Counter({key: n for key, n in seen.items() if n > 1})
