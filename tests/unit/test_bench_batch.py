"""The batch benchmark's pure parts: the storefront page mix (the same pages for a seed, each a
valid batch the edge accepts, with the repeats the dedup count is about), the counts taken over
it, and the rows the section prints. Nothing here is timed."""

import json
from collections import Counter

from batchconfig import BatchSettings
from batchformat import parse_batch_body
from batchsafety import refuse_url

from bench.edge_batch import (
    BATCH,
    CONCURRENT,
    HIT_BATCH,
    HIT_CONCURRENT,
    ITEMS,
    LABELS,
    SEQUENTIAL,
    Cpu,
    Timing,
    Wave,
    batch_document,
    cache_kind,
    cold_urls,
    cpu_rows,
    dedup_rows,
    latency_rows,
)
from bench.pagemix import (
    AREAS,
    FEATURED,
    Page,
    catalogue,
    count_mix,
    repeats,
    storefront_pages,
)

PAGES = storefront_pages(200, seed=6)


def test_a_seed_gives_the_same_pages_and_another_seed_others() -> None:
    assert storefront_pages(200, seed=6) == PAGES
    assert storefront_pages(200, seed=7) != PAGES
    assert len(PAGES) == 200


def test_every_page_is_a_batch_the_edge_accepts() -> None:
    settings = BatchSettings()
    for page in PAGES:
        assert len(page.urls) <= settings.max_items
        assert all(refuse_url(url, settings.prefixes) is None for url in page.urls)
        body = json.dumps(batch_document(page.urls)).encode()
        batch = parse_batch_body(body, settings)
        assert [item.url for item in batch.items] == list(page.urls)
        assert {item.method for item in batch.items} == {"GET"}


def test_a_page_repeats_the_store_list_and_its_category_and_shows_one_product() -> None:
    for page in PAGES:
        counts = Counter(page.urls)
        assert counts["/api/stores"] == 2
        categories = [url for url in page.urls if url.startswith("/api/products?category=")]
        assert len(categories) == 3
        assert f"/api/products?category={FEATURED}&limit=8" in categories
        assert max(Counter(categories).values()) >= 2
        sku = next(url for url in page.urls if url.startswith("/api/inventory/")).split("/")[-1]
        assert f"/api/products/{sku}" in page.urls
        assert f"/api/prices/{sku}" in page.urls
        assert f"lat={page.lat:.4f}&lon={page.lon:.4f}" in page.urls[5]


def test_shoppers_share_areas_and_popular_products_and_recently_viewed_differ() -> None:
    assert {page.area for page in PAGES} == {area for area, _, _ in AREAS}
    skus = Counter(page.urls[2] for page in PAGES)
    top = catalogue()[0][0]
    assert skus.most_common(1)[0][0] == f"/api/products/{top}"
    assert len(skus) > 20  # a long tail, not one product
    for page in PAGES:
        viewed = page.urls[9:]
        assert len(set(viewed)) == len(viewed) == 2
        assert page.urls[2] not in viewed


def test_count_mix_counts_items_repeats_within_a_batch_and_across() -> None:
    pages = [
        Page("a", 0.0, 0.0, ("/api/stores", "/api/stores", "/api/products/A")),
        Page("b", 0.0, 0.0, ("/api/stores", "/api/products/B")),
    ]
    counts = count_mix(pages)
    assert (counts.items, counts.in_batch, counts.distinct) == (5, 4, 3)
    mix = count_mix(PAGES)
    assert mix.items == 200 * 11
    assert mix.distinct < mix.in_batch < mix.items


def test_repeats_are_the_keys_the_origin_saw_twice_or_more() -> None:
    seen = [("/a", "z1"), ("/a", "z2"), ("/b", "z1"), ("/b", "z1"), ("/b", "z1")]
    assert repeats(seen) == {("/b", "z1"): 3}
    assert repeats([("/a", "z1")]) == {}


def test_cold_urls_are_fresh_for_every_round_and_every_way_of_sending() -> None:
    urls = [cold_urls(how, r) for how in (BATCH, SEQUENTIAL, CONCURRENT) for r in range(3)]
    flat = [url for round_urls in urls for url in round_urls]
    assert len(set(flat)) == len(flat) == 9 * ITEMS
    assert all(url.startswith("/api/products/") for url in flat)


def test_cache_kind_reads_cache_status() -> None:
    assert cache_kind("popcache; hit; ttl=59") == "hit"
    assert cache_kind("popcache; fwd=uri-miss; fwd-status=200; ttl=59; stored") == "fetched"
    assert cache_kind("popcache; fwd=uri-miss; fwd-status=200; collapsed") == "collapsed"
    assert cache_kind("popcache; hit; ttl=59; collapsed") == "collapsed"
    assert cache_kind("") == "fetched"


def test_latency_rows_give_each_way_its_ratio_to_the_batch_sent_alike() -> None:
    timings = {
        BATCH: Timing([60.0, 80.0, 70.0], [10.0, 12.0, 11.0], [20.0, 22.0, 21.0]),
        SEQUENTIAL: Timing([600.0, 800.0, 700.0], [1.0, 1.0, 1.0], [550.0, 750.0, 650.0]),
        CONCURRENT: Timing([66.0, 88.0, 77.0], [5.0, 5.0, 5.0], [15.0, 15.0, 15.0]),
        HIT_BATCH: Timing([5.0, 5.0, 5.0]),
        HIT_CONCURRENT: Timing([10.0, 10.0, 10.0]),
    }
    rows = latency_rows(timings)
    assert [row[0] for row in rows] == [LABELS[how] for how in timings]
    assert rows[0] == [LABELS[BATCH], "70.0", "79.8", "11.0", "21.0", "1.00x"]
    assert rows[1][-1] == "10.00x"
    assert rows[2][-1] == "1.10x"
    assert rows[3][3:] == ["n/a", "n/a", "1.00x"]
    assert rows[4][-1] == "2.00x"


def test_cpu_rows_take_the_fastest_groups_and_the_median_ratio() -> None:
    cpu = Cpu([70.0, 80.0], [20.0, 40.0], [400.0, 500.0], [400.0, 400.0])
    assert cpu_rows(cpu) == [
        ["cache hit", "70.0", "20.0", "2.75x"],
        ["cold (a trip to the origin, stored)", "400.0", "400.0", "1.12x"],
    ]


def test_dedup_rows_report_what_was_saved() -> None:
    pages = [Page("a", 0.0, 0.0, ("/api/stores",) * 5), Page("b", 0.0, 0.0, ("/api/x",) * 5)]
    wave = Wave(
        pages,
        [("/api/stores", "city"), ("/api/x", "city")],
        Counter({"fetched": 2, "collapsed": 8}),
        [100.0, 120.0],
    )
    rows = dict(dedup_rows(wave))
    assert rows["items sent: what the pages ask the origin for with no edge cache"] == "10"
    assert rows["origin requests, counted at the origin"] == "2 (20%)"
    assert rows["origin requests saved"] == "8 (80.0%)"
    assert rows["items answered: fetched / collapsed / hit"] == "2 / 8 / 0"
    assert rows["(URL, Edge-Geo-Zone) the origin saw more than once"] == "0 (0 extra requests)"
