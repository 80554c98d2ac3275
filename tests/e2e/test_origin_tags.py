"""The origin's tags in the edge's invalidation vocabulary (``sku:``, ``sku:X@S``, ``price:``,
``zone:``), and the ``Cache-Group-Invalidation`` its stock writes answer with (RFC 9875 §3)."""

from __future__ import annotations

import random

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from tags import MAX_TAGS_HEADER_BYTES, invalidated_groups, response_tags

from emulator.clock import FakeClock
from emulator.origin import create_app
from emulator.origin.http_cache import MAX_CACHE_TAG_BYTES, cache_groups_header, cache_tag_header

SF_POINT = "/api/recommendations?lat=37.7599&lon=-122.4148&limit=2"
SF_STORES = ("sf-marina", "sf-mission", "sf-sunset")


@pytest.fixture
async def origin(aiohttp_client: AiohttpClient) -> TestClient:
    app = create_app(None, rng=random.Random(1), clock=FakeClock(1_767_312_000.0))
    return await aiohttp_client(app)


async def tags_of(origin: TestClient, path: str, zone: str | None = None) -> list[str]:
    headers = {"Edge-Geo-Zone": zone} if zone is not None else {}
    async with origin.get(path, headers=headers) as response:
        assert response.status == 200
        return response.headers["Cache-Tag"].split(",")


def kind(tags: list[str], prefix: str) -> list[str]:
    return [tag for tag in tags if tag.startswith(prefix)]


async def test_a_product_is_tagged_with_its_sku(origin: TestClient) -> None:
    assert "sku:BEV-COFFEE" in await tags_of(origin, "/api/products/BEV-COFFEE")


async def test_a_product_list_is_tagged_with_the_sku_of_each_product_it_shows(
    origin: TestClient,
) -> None:
    tags = await tags_of(origin, "/api/products?category=dairy&limit=2")
    assert kind(tags, "sku:") == ["sku:DRY-BUTTER", "sku:DRY-EGGS-12"]


async def test_a_stores_inventory_is_tagged_with_each_level_it_shows(origin: TestClient) -> None:
    levels = kind(await tags_of(origin, "/api/stores/lon-camden/inventory"), "sku:")
    assert len(levels) == 20
    assert all(tag.endswith("@lon-camden") for tag in levels)


async def test_a_products_inventory_is_tagged_with_its_level_at_each_store(
    origin: TestClient,
) -> None:
    tags = await tags_of(origin, "/api/inventory/PAN-HONEY")
    assert len(kind(tags, "sku:PAN-HONEY@")) == 8


async def test_inventory_narrowed_to_a_store_zone_is_tagged_with_the_zone_and_one_level(
    origin: TestClient,
) -> None:
    tags = await tags_of(origin, "/api/inventory/PAN-HONEY", zone="sf-mission")
    assert kind(tags, "sku:") == ["sku:PAN-HONEY@sf-mission"]
    assert kind(tags, "zone:") == ["zone:sf-mission"]


async def test_inventory_narrowed_to_a_city_zone_is_tagged_with_the_zone_and_its_stores_levels(
    origin: TestClient,
) -> None:
    tags = await tags_of(origin, "/api/inventory/PAN-HONEY", zone="san-francisco")
    assert kind(tags, "sku:") == [f"sku:PAN-HONEY@{store}" for store in SF_STORES]
    assert kind(tags, "zone:") == ["zone:san-francisco"]


async def test_a_zone_is_tagged_as_ids_are_written(origin: TestClient) -> None:
    tags = await tags_of(origin, "/api/inventory/PAN-HONEY", zone=" SF-Mission ")
    assert kind(tags, "zone:") == ["zone:sf-mission"]


async def test_a_zone_the_origin_does_not_know_narrows_nothing_and_is_not_tagged(
    origin: TestClient,
) -> None:
    tags = await tags_of(origin, "/api/inventory/PAN-HONEY", zone="atlantis")
    assert kind(tags, "zone:") == []
    assert len(kind(tags, "sku:")) == 8


async def test_a_store_id_query_wins_over_the_zone_and_is_not_zone_tagged(
    origin: TestClient,
) -> None:
    tags = await tags_of(origin, "/api/inventory/PAN-HONEY?store_id=chi-loop", zone="sf-mission")
    assert kind(tags, "zone:") == []
    assert kind(tags, "sku:") == ["sku:PAN-HONEY@chi-loop"]


async def test_prices_are_tagged_with_the_skus_price_tag(origin: TestClient) -> None:
    assert "price:BEV-COFFEE" in await tags_of(origin, "/api/prices/BEV-COFFEE")


async def test_prices_narrowed_by_the_zone_are_tagged_with_it(origin: TestClient) -> None:
    tags = await tags_of(origin, "/api/prices/BEV-COFFEE", zone="lon-camden")
    assert kind(tags, "zone:") == ["zone:lon-camden"]


@pytest.mark.parametrize(
    ("path", "zone"),
    [("/api/prices/BEV-COFFEE?city=london", "lon-camden"), ("/api/prices/BEV-COFFEE", "mars")],
)
async def test_prices_the_zone_did_not_narrow_carry_no_zone_tag(
    origin: TestClient, path: str, zone: str
) -> None:
    assert kind(await tags_of(origin, path, zone=zone), "zone:") == []


async def test_recommendations_are_tagged_with_the_skus_they_show(origin: TestClient) -> None:
    tags = await tags_of(origin, SF_POINT)
    assert len([tag for tag in tags if tag.startswith("sku:") and "@" not in tag]) == 2


async def test_recommendations_are_tagged_with_every_level_their_ranking_read(
    origin: TestClient,
) -> None:
    levels = [tag for tag in await tags_of(origin, SF_POINT) if "@" in tag]
    assert len(levels) == 20  # the one store delivering there, every product
    assert all(tag.endswith("@sf-mission") for tag in levels)


async def test_equal_data_gets_an_equal_tag_header(origin: TestClient) -> None:
    first = await tags_of(origin, "/api/inventory/PAN-HONEY", zone="san-francisco")
    assert await tags_of(origin, "/api/inventory/PAN-HONEY", zone="san-francisco") == first


@pytest.mark.parametrize(
    "path",
    ["/api/products?limit=100", "/api/stores/sf-mission/inventory", "/api/inventory/PAN-HONEY"],
)
async def test_the_edge_keeps_every_tag_the_origin_sends(origin: TestClient, path: str) -> None:
    async with origin.get(path) as response:
        header = response.headers["Cache-Tag"]
    edge_tags = response_tags(
        cache_groups=None, cache_tag=header, surrogate_key=None, extra=("class:hot", "zone:x")
    )
    assert edge_tags[2:] == tuple(header.lower().split(","))


def test_a_tag_header_stops_short_of_the_edges_limit_leaving_room_for_its_own_tags() -> None:
    tags = [f"sku:{n:05d}-{'x' * 40}@store" for n in range(1000)]
    header = cache_tag_header(tags)
    assert len(header.encode()) <= MAX_CACHE_TAG_BYTES < MAX_TAGS_HEADER_BYTES
    assert tags[: header.count(",") + 1] == header.split(",")


async def test_a_stock_edit_names_the_level_it_changed_in_cache_group_invalidation(
    origin: TestClient,
) -> None:
    change = {"sku": "PAN-RICE-2KG", "store_id": "lon-brixton", "qty": 42}
    async with origin.post("/_admin/stock", json=change) as response:
        assert response.headers["Cache-Group-Invalidation"] == '"sku:PAN-RICE-2KG@lon-brixton"'


async def test_a_stock_edit_still_answers_with_its_purge_tags(origin: TestClient) -> None:
    change = {"sku": "PAN-RICE-2KG", "store_id": "lon-brixton", "delta": 1}
    async with origin.post("/_admin/stock", json=change) as response:
        assert (await response.json())["purge_tags"] == ["stock:lon-brixton"]


async def test_a_checkout_names_each_level_it_took_stock_from(origin: TestClient) -> None:
    for sku, store in [("DRY-EGGS-12", "sf-mission"), ("PAN-HONEY", "chi-loop")]:
        async with origin.post("/_admin/stock", json={"sku": sku, "store_id": store, "qty": 9}):
            pass
        async with origin.post("/api/cart/items", json={"sku": sku, "store_id": store}):
            pass
    async with origin.post("/api/checkout") as response:
        assert response.status == 201
        groups = response.headers["Cache-Group-Invalidation"]
    assert groups == '"sku:PAN-HONEY@chi-loop", "sku:DRY-EGGS-12@sf-mission"'


async def test_the_edge_reads_the_invalidated_groups_as_the_levels_tags(
    origin: TestClient,
) -> None:
    change = {"sku": "PAN-HONEY", "store_id": "chi-loop", "qty": 3}
    async with origin.post("/_admin/stock", json=change) as response:
        groups = invalidated_groups(response.headers["Cache-Group-Invalidation"])
    async with origin.get("/api/inventory/PAN-HONEY?store_id=chi-loop") as response:
        stored = response.headers["Cache-Tag"].lower().split(",")
    assert groups == ("sku:pan-honey@chi-loop",)
    assert set(groups) <= set(stored)


async def test_a_refused_stock_edit_invalidates_nothing(origin: TestClient) -> None:
    change = {"sku": "PAN-HONEY", "store_id": "chi-loop", "delta": -1_000_000}
    async with origin.post("/_admin/stock", json=change) as response:
        assert response.status == 409
        assert "Cache-Group-Invalidation" not in response.headers


async def test_reads_never_carry_cache_group_invalidation(origin: TestClient) -> None:
    async with origin.get("/api/inventory/PAN-HONEY") as response:
        assert "Cache-Group-Invalidation" not in response.headers


def test_groups_are_written_as_sf_strings_with_quotes_and_backslashes_escaped() -> None:
    assert cache_groups_header(['a"b', "c\\d", 'a"b']) == '"a\\"b", "c\\\\d"'


def test_a_group_an_sf_string_cannot_hold_is_left_out() -> None:
    assert cache_groups_header(["caf\u00e9", "tab\there", "ok"]) == '"ok"'
