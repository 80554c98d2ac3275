"""The demo storefront's sample data: plain tuples, loaded once into an empty database.

Three cities with real coordinates, eight stores, twenty products, a promotion per city,
and six pages. Stock levels come from :func:`seed_qty`, a formula rather than a random
generator, so every fresh database holds the same numbers on every Python version.
"""

from __future__ import annotations

__all__ = [
    "BASE_CURRENCY",
    "CITIES",
    "HELP_PAGES",
    "MARKETING_PAGES",
    "PRODUCTS",
    "PROMOTIONS",
    "SEED_TIME",
    "STORES",
    "seed_qty",
]

SEED_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z: Last-Modified of everything seeded

# id, name, country, lat, lon, currency, price_factor_bp (FX and local pricing, 10000 = 1.0)
CITIES: tuple[tuple[str, str, str, float, float, str, int], ...] = (
    ("san-francisco", "San Francisco", "US", 37.7749, -122.4194, "USD", 10800),
    ("chicago", "Chicago", "US", 41.8781, -87.6298, "USD", 10000),
    ("london", "London", "GB", 51.5074, -0.1278, "GBP", 8000),
)

# fmt: off
# id, city_id, name, address, lat, lon, delivery_radius_km
STORES: tuple[tuple[str, str, str, str, float, float, float], ...] = (
    ("sf-mission", "san-francisco", "Mission Market", "2598 Mission St", 37.7567, -122.4187, 3.0),
    ("sf-marina", "san-francisco", "Marina Pantry", "2055 Chestnut St", 37.8005, -122.4380, 2.5),
    ("sf-sunset", "san-francisco", "Sunset Grocer", "1329 9th Ave", 37.7636, -122.4664, 3.5),
    ("chi-loop", "chicago", "Loop Provisions", "111 W Washington St", 41.8832, -87.6315, 3.0),
    ("chi-wicker-park", "chicago", "Wicker Park Goods", "1520 N Milwaukee Ave",
     41.9093, -87.6776, 4.0),
    ("lon-shoreditch", "london", "Shoreditch Stores", "10 Redchurch St", 51.5240, -0.0755, 3.0),
    ("lon-camden", "london", "Camden Larder", "44 Parkway", 51.5378, -0.1445, 3.0),
    ("lon-brixton", "london", "Brixton Corner Shop", "5 Atlantic Rd", 51.4613, -0.1148, 3.5),
)

BASE_CURRENCY = "USD"  # every base price; cities convert with price_factor_bp

# sku, category, base_price_cents, name, description
PRODUCTS: tuple[tuple[str, str, int, str, str], ...] = (
    ("APL-GALA-1KG", "produce", 499, "Gala apples, 1 kg", "Crisp and sweet, from local orchards."),
    ("BAN-BUNCH", "produce", 249, "Bananas, bunch", "About six ripe bananas."),
    ("AVO-HASS-4", "produce", 599, "Hass avocados, 4 pack", "Ready to eat within two days."),
    ("TOM-HEIRLOOM", "produce", 699, "Heirloom tomatoes, 500 g", "Mixed colours, picked ripe."),
    ("BRD-SOURDOUGH", "bakery", 799, "Sourdough loaf", "Baked this morning, 48-hour ferment."),
    ("BRD-CROISSANT-4", "bakery", 899, "Butter croissants, 4 pack", "Laminated by hand."),
    ("BRD-BAGEL-6", "bakery", 649, "Plain bagels, 6 pack", "Boiled, then baked."),
    ("DRY-MILK-1L", "dairy", 329, "Whole milk, 1 l", "From a single grass-fed herd."),
    ("DRY-EGGS-12", "dairy", 699, "Free-range eggs, dozen", "Large brown eggs."),
    ("DRY-BUTTER", "dairy", 849, "Cultured butter, 250 g", "Lightly salted."),
    ("DRY-YOGURT-500", "dairy", 549, "Greek yogurt, 500 g", "Strained, full fat."),
    ("PAN-OLIVE-OIL", "pantry", 1499, "Olive oil, 500 ml", "Extra virgin, cold-pressed."),
    ("PAN-RIGATONI", "pantry", 399, "Rigatoni, 500 g", "Bronze-cut durum wheat pasta."),
    ("PAN-RICE-2KG", "pantry", 899, "Jasmine rice, 2 kg", "Fragrant long grain."),
    ("PAN-HONEY", "pantry", 1199, "Wildflower honey, 340 g", "Raw and unfiltered."),
    ("BEV-COFFEE", "beverages", 1699, "House blend coffee, 340 g", "Whole beans, medium roast."),
    ("BEV-EARL-GREY", "beverages", 899, "Earl Grey tea, 50 bags", "Black tea with bergamot."),
    ("HOM-DISH-SOAP", "household", 449, "Dish soap, 750 ml", "Plant-based, unscented."),
    ("HOM-TOWELS-6", "household", 1299, "Paper towels, 6 rolls", "Recycled paper."),
    ("HOM-CANDLE", "household", 1899, "Soy candle", "Fig and cedar, 40-hour burn."),
)
# fmt: on

# city_id, sku, percent_off, label
PROMOTIONS: tuple[tuple[str, str, int, str], ...] = (
    ("san-francisco", "BEV-COFFEE", 15, "Coffee week"),
    ("chicago", "BRD-SOURDOUGH", 20, "Bake sale"),
    ("london", "BEV-EARL-GREY", 10, "Tea time"),
)

# slug, title, body (HTML fragment)
MARKETING_PAGES: tuple[tuple[str, str, str], ...] = (
    (
        "summer-market",
        "Summer market week",
        "<h1>Summer market week</h1><p>Stone fruit, heirloom tomatoes and fresh bread at "
        "every store, all week.</p>",
    ),
    (
        "loyalty",
        "Neighbourhood rewards",
        "<h1>Neighbourhood rewards</h1><p>Earn a point per dollar or pound and spend points "
        "at any store in your city.</p>",
    ),
    (
        "new-stores",
        "Now open in Brixton",
        "<h1>Now open in Brixton</h1><p>Our third London store delivers within 3.5 km of "
        "Atlantic Road.</p>",
    ),
)

HELP_PAGES: tuple[tuple[str, str, str], ...] = (
    (
        "delivery",
        "Delivery areas and times",
        "<h1>Delivery areas and times</h1><p>Each store delivers within its own radius, "
        "usually 2.5 to 4 km, from 8am to 9pm.</p>",
    ),
    (
        "returns",
        "Returns and refunds",
        "<h1>Returns and refunds</h1><p>Tell us within 48 hours and we refund the item to "
        "your original payment method.</p>",
    ),
    (
        "payments",
        "Payments",
        "<h1>Payments</h1><p>We take cards and wallets; you are charged when your order "
        "leaves the store.</p>",
    ),
)


def seed_qty(store_index: int, product_index: int) -> int:
    """Seeded stock for one product at one store: 0..40, about one cell in six sold out."""
    qty = (store_index * 17 + product_index * 11 + store_index * product_index * 5) % 41
    return 0 if qty < 7 else qty
