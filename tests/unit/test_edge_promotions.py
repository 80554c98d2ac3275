"""City promotions come from TOML in the bundle or the same document as JSON from KV; a mistake
is refused at load with one line naming the file, the promotion and the key, and a promotion
that has since ended is skipped at run time rather than refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from promotions import (
    DEFAULT_LEAD,
    Promotion,
    Promotions,
    PromotionsError,
    Window,
    load_promotions_json,
    load_promotions_toml,
    skippable,
)
from routesyntax import RoutesError

SHIPPED = Path(__file__).parents[2] / "edge" / "promotions.toml"
PREFIXES = ("/api/",)
START = "2026-12-01T10:00:00-08:00"
END = "2026-12-08T10:00:00-08:00"


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


def promo(**changes: Any) -> dict[str, Any]:
    """A valid promotion table; ``changes`` set keys (``None`` drops one)."""
    table: dict[str, Any] = {
        "city": "san-francisco",
        "starts": START,
        "budget": 60,
        "urls": ["/api/products/BEV-COFFEE"],
    }
    for key, value in changes.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    return table


def load(*items: tuple[str, dict[str, Any]], **options: Any) -> Promotions:
    document = json.dumps({"promotions": dict(items)})
    return load_promotions_json(document, "p.json", prefixes=PREFIXES, **options)


def one(**changes: Any) -> Promotion:
    [found] = load(("p", promo(**changes))).items
    return found


def error_of(text: str, *, toml: bool = False, **options: Any) -> str:
    loader = load_promotions_toml if toml else load_promotions_json
    with pytest.raises(PromotionsError) as raised:
        loader(text, "p.json", prefixes=PREFIXES, **options)
    message = str(raised.value)
    assert "\n" not in message
    return message


def error(*items: tuple[str, dict[str, Any]], **options: Any) -> str:
    return error_of(json.dumps({"promotions": dict(items)}), **options)


def key_error(key: str, **changes: Any) -> str:
    """The refusal of promotion 'p' with ``changes``, which must name ``key``."""
    message = error(("p", promo(**changes)))
    prefix = f"p.json: [promotions.p]: key '{key}': "
    assert message.startswith(prefix), message
    return message.removeprefix(prefix)


# What a promotion reads as


def test_a_minimal_promotion_gets_the_defaults():
    assert one() == Promotion(
        name="p",
        city="san-francisco",
        zone=None,
        starts=epoch(START),
        ends=None,
        windows=(),
        lead=DEFAULT_LEAD,
        budget=60,
        urls=("/api/products/BEV-COFFEE",),
        views=(),
        tag="promo:p",
    )


def test_the_default_lead_is_ten_minutes():
    assert DEFAULT_LEAD == 600


def test_a_zone_promotion_names_the_zone_and_no_city():
    found = one(city=None, zone="sf-mission")
    assert (found.city, found.zone) == (None, "sf-mission")


def test_ends_is_read_as_epoch_seconds():
    assert one(ends=END).ends == epoch(END)


def test_lead_takes_a_duration():
    assert one(lead="15m").lead == 900


def test_lead_takes_a_number_of_seconds():
    assert one(lead=120).lead == 120


def test_a_tag_may_be_given():
    assert one(tag="promo:coffee").tag == "promo:coffee"


def test_views_are_kept_as_written():
    assert one(views=["pdp?sku=BEV-COFFEE", "home"]).views == ("pdp?sku=BEV-COFFEE", "home")


def test_a_window_may_be_a_start_and_a_duration():
    found = one(windows=[f"{START}/PT2H"])
    assert found.windows == (Window(epoch(START), epoch(START) + 7200),)


def test_a_window_may_be_a_start_and_an_end():
    found = one(windows=[f"{START}/2026-12-01T11:30:00-08:00"])
    assert found.windows == (Window(epoch(START), epoch(START) + 5400),)


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("PT1H30M", 5400), ("PT90S", 90), ("P1D", 86400), ("P1DT1H", 90000), ("pt2h", 7200)],
)
def test_iso_8601_durations_in_days_hours_minutes_and_seconds(duration, seconds):
    [window] = one(windows=[f"{START}/{duration}"]).windows
    assert window.end - window.start == seconds


def test_windows_are_kept_earliest_first():
    late, early = f"{START[:9]}2T10:00:00-08:00/PT1H", f"{START}/PT1H"
    found = one(windows=[late, early])
    assert [window.start for window in found.windows] == [epoch(START), epoch(START) + 86400]


def test_touching_windows_do_not_overlap():
    found = one(windows=[f"{START}/PT1H", "2026-12-01T11:00:00-08:00/PT1H"])
    assert len(found.windows) == 2


def test_promotions_keep_the_document_order():
    found = load(("b", promo()), ("a", promo(city="chicago")))
    assert [promotion.name for promotion in found] == ["b", "a"]


def test_a_document_without_promotions_has_none():
    assert load_promotions_json("{}", "p.json", prefixes=PREFIXES) == Promotions()


def test_the_place_names_the_city_or_the_zone():
    assert one().place == "city 'san-francisco'"
    assert one(city=None, zone="z").place == "zone 'z'"


# TOML and JSON


def test_toml_and_json_of_one_document_read_the_same():
    toml = "\n".join(
        [
            "[promotions.p]",
            'city = "san-francisco"',
            f'starts = "{START}"',
            f'windows = ["{START}/PT2H"]',
            'lead = "15m"',
            "budget = 60",
            'urls = ["/api/products/BEV-COFFEE"]',
            'views = ["pdp?sku=BEV-COFFEE"]',
        ]
    )
    as_json = load(
        (
            "p",
            promo(
                windows=[f"{START}/PT2H"],
                lead="15m",
                views=["pdp?sku=BEV-COFFEE"],
            ),
        )
    )
    assert load_promotions_toml(toml, "p.toml", prefixes=PREFIXES) == as_json


def test_a_toml_syntax_error_is_one_line_naming_the_file():
    assert error_of("[promotions.p\n", toml=True).startswith("p.json: not TOML: ")


def test_invalid_json_is_one_line_naming_the_file():
    assert error_of("{").startswith("p.json: not JSON: ")


def test_deeply_nested_json_is_refused_unread():
    assert error_of("[" * 100 + "]" * 100).startswith("p.json: not JSON: ")


def test_an_unquoted_toml_date_time_is_refused_as_json_cannot_carry_it():
    text = "\n".join(
        ["[promotions.p]", 'city = "c"', f"starts = {START}", "budget = 1", 'urls = ["/api/x"]']
    )
    message = error_of(text, toml=True)
    assert message.startswith("p.json: [promotions.p]: key 'starts': quote the date-time")


def test_the_error_is_a_routes_error_too():
    assert issubclass(PromotionsError, RoutesError)


# The document


def test_an_unknown_top_level_key_is_refused():
    message = error_of('{"promotion": {}}')
    assert message == "p.json: unknown key 'promotion' (did you mean 'promotions'?)"


def test_promotions_must_be_a_table():
    assert error_of('{"promotions": []}').startswith("p.json: [promotions]: expected a table")


def test_a_promotion_must_be_a_table():
    message = error_of('{"promotions": {"p": 1}}')
    assert message.startswith("p.json: [promotions.p]: expected a table")


@pytest.mark.parametrize("name", ["Coffee", "sf_coffee", "-sf", "a" * 65, "sf coffee"])
def test_a_promotion_name_is_lower_case_letters_digits_and_dashes(name):
    assert error((name, promo())).startswith("p.json: [promotions]: ")


def test_an_unknown_key_is_refused_with_a_suggestion():
    message = error(("p", promo(budgte=1)))
    assert message == "p.json: [promotions.p]: unknown key 'budgte' (did you mean 'budget'?)"


# City or zone


def test_city_and_zone_together_are_refused():
    assert "not both" in key_error("zone", zone="z")


def test_neither_city_nor_zone_is_refused():
    assert key_error("city", city=None).startswith("missing")


@pytest.mark.parametrize("city", ["San-Francisco", "", "sf/x", 3])
def test_a_city_must_be_a_city_id(city):
    key_error("city", city=city)


@pytest.mark.parametrize("zone", ["Zone", "", "a b", 3])
def test_a_zone_must_be_a_zone_id(zone):
    key_error("zone", city=None, zone=zone)


# Times


@pytest.mark.parametrize(
    "starts",
    [
        "2026-12-01T10:00:00",  # no offset
        "2026-12-01",
        "2026-12-01 10:00:00Z",
        "2026-13-01T10:00:00Z",
        "tomorrow",
        1796148000,
    ],
)
def test_starts_must_be_an_rfc_3339_date_time_with_an_offset(starts):
    key_error("starts", starts=starts)


def test_starts_is_required():
    assert key_error("starts", starts=None).startswith("missing")


def test_z_and_lower_case_t_are_rfc_3339():
    assert one(starts="2026-12-01t18:00:00z").starts == epoch(START)


def test_ends_before_starts_is_refused():
    assert "not after starts" in key_error("ends", ends="2026-11-30T10:00:00-08:00")


def test_ends_equal_to_starts_is_refused():
    key_error("ends", ends=START)


def test_bad_ends_is_refused():
    key_error("ends", ends="soon")


# Windows


def test_a_window_ending_before_it_starts_is_refused():
    message = key_error("windows[0]", windows=[f"{START}/2026-12-01T09:00:00-08:00"])
    assert "not after it starts" in message


def test_an_empty_window_is_refused():
    key_error("windows[0]", windows=[f"{START}/{START}"])


@pytest.mark.parametrize("duration", ["P", "PT", "PT2", "P1H", "PT1D", "2h", "P-1D", "PT1.5H"])
def test_a_window_duration_must_be_iso_8601(duration):
    key_error("windows[0]", windows=[f"{START}/{duration}"])


def test_a_window_without_a_slash_is_refused():
    assert "'<start>/<duration>'" in key_error("windows[0]", windows=[START])


def test_a_window_longer_than_a_year_is_refused():
    key_error("windows[0]", windows=[f"{START}/P400D"])


def test_a_window_opening_before_the_promotion_starts_is_refused():
    message = key_error("windows[0]", windows=["2026-12-01T09:00:00-08:00/PT2H"])
    assert "before the promotion starts" in message


def test_a_window_closing_after_the_promotion_ends_is_refused():
    message = key_error("windows[0]", ends="2026-12-01T11:00:00-08:00", windows=[f"{START}/PT2H"])
    assert "after the promotion ends" in message


def test_overlapping_windows_are_refused_naming_both():
    windows = [f"{START}/PT2H", "2026-12-01T11:00:00-08:00/PT2H"]
    assert key_error("windows[1]", windows=windows).startswith("overlaps windows[0]")


def test_overlap_is_found_whatever_the_order():
    windows = ["2026-12-01T11:00:00-08:00/PT2H", "2026-12-03T11:00:00-08:00/PT2H", START + "/P1D"]
    assert key_error("windows[2]", windows=windows).startswith("overlaps windows[0]")


def test_windows_must_be_an_array_of_strings():
    key_error("windows", windows="2026-12-01T10:00:00-08:00/PT2H")


def test_too_many_windows_are_refused():
    windows = [f"2027-01-01T00:00:00Z/PT{n}S" for n in range(1, 1002)]
    assert "more than the 1000 allowed" in key_error("windows", windows=windows)


# Lead


@pytest.mark.parametrize("lead", ["30s", 59, "2d", "soon", -1, True])
def test_lead_must_be_from_a_minute_to_a_day(lead):
    key_error("lead", lead=lead)


# URLs and views


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/api/x",
        "//example.com/api/x",
        "api/x",
        "/api/../admin",
        "/api/%2e%2e/admin",
        "/api//x",
        "/api/x#top",
        "/admin/x",
        "/_edge/views/pdp",
        "/api/a b",
    ],
)
def test_urls_must_be_paths_under_the_prefixes(url):
    message = key_error("urls[0]", urls=[url])
    assert message.startswith(repr(url))


def test_a_url_under_another_configured_prefix_is_allowed():
    document = json.dumps({"promotions": {"p": promo(urls=["/pages/x"])}})
    found = load_promotions_json(document, "p.json", prefixes=("/api/", "/pages/"))
    assert found.items[0].urls == ("/pages/x",)


def test_urls_must_be_an_array_of_strings():
    key_error("urls", urls=["/api/x", 1])


@pytest.mark.parametrize("view", ["PDP", "pdp/x", "", "pdp?", "pdp?a b", "pdp?x#y", "_pdp"])
def test_a_view_is_a_name_and_an_optional_query(view):
    key_error("views[0]", views=[view])


def test_a_view_not_among_the_known_views_is_refused():
    message = error(("p", promo(views=["pdq?sku=X"])), known_views=("pdp",))
    assert message == "p.json: [promotions.p]: key 'views[0]': no view 'pdq' in routes.toml (pdp)"


def test_a_known_view_is_allowed():
    found = load(("p", promo(views=["pdp?sku=X"])), known_views=("pdp",))
    assert found.items[0].views == ("pdp?sku=X",)


def test_nothing_to_warm_is_refused():
    assert "nothing to warm" in key_error("urls", urls=None)


# Budget


@pytest.mark.parametrize("budget", [0, -1, 100_001, 1.5, "60", True])
def test_budget_must_be_an_integer_from_1_to_100000(budget):
    key_error("budget", budget=budget)


def test_budget_is_required():
    assert key_error("budget", budget=None).startswith("missing")


def test_a_budget_too_small_to_warm_within_the_lead_is_refused_with_the_numbers():
    urls = [f"/api/products/{n}" for n in range(20)]
    message = key_error("budget", urls=urls, lead="5m", budget=3)
    assert message == (
        "20 URLs and views at 3 a minute take 6m40s, longer than the lead of 5m: "
        "raise the budget to at least 4 or the lead to at least 6m40s"
    )


def test_a_budget_that_just_fits_the_lead_is_allowed():
    urls = [f"/api/products/{n}" for n in range(10)]
    assert one(urls=urls, lead="5m", budget=2).budget == 2


def test_views_count_against_the_budget():
    urls = [f"/api/products/{n}" for n in range(10)]
    key_error("budget", urls=urls, views=["pdp"], lead="5m", budget=2)


def test_a_url_given_twice_counts_once():
    urls = [f"/api/products/{n}" for n in range(10)] * 2
    assert one(urls=urls, lead="5m", budget=2).budget == 2


@given(count=st.integers(1, 300), budget=st.integers(1, 1000), lead=st.integers(60, 86_400))
def test_a_budget_is_refused_exactly_when_the_targets_take_longer_than_the_lead(
    count, budget, lead
):
    table = promo(urls=[f"/api/x/{n}" for n in range(count)], budget=budget, lead=lead)
    document = json.dumps({"promotions": {"p": table}})
    if count * 60 <= lead * budget:  # count / budget minutes within the lead, exactly
        assert load_promotions_json(document, "p.json", prefixes=PREFIXES).items[0].budget == budget
    else:
        with pytest.raises(PromotionsError, match=r"^p\.json: \[promotions\.p\]: key 'budget': "):
            load_promotions_json(document, "p.json", prefixes=PREFIXES)


# Tag


@pytest.mark.parametrize("tag", ["promo:a,b", "promo a", "promo:\x01", "x" * 1025, "", "Promo:A"])
def test_a_tag_must_be_a_valid_cache_tag(tag):
    key_error("tag", tag=tag)


def test_a_tag_of_1024_bytes_is_allowed():
    assert one(tag="x" * 1024).tag == "x" * 1024


# Overlapping promotions


def test_two_promotions_for_one_city_in_overlapping_periods_are_refused_naming_both():
    message = error(
        ("a", promo(ends=END)), ("b", promo(starts="2026-12-05T10:00:00-08:00", ends=None))
    )
    assert message.startswith("p.json: [promotions.b]: key 'starts': overlapping promotions 'a' (")
    assert "'b' (" in message
    assert message.endswith("for city 'san-francisco'")


def test_a_promotion_without_ends_overlaps_every_later_one_in_its_city():
    later = promo(starts="2027-06-01T00:00:00Z")
    assert "overlapping promotions 'a'" in error(("a", promo()), ("b", later))


def test_overlap_is_found_whatever_the_document_order():
    early = promo(starts="2026-11-30T00:00:00Z", ends="2026-12-10T00:00:00Z")
    message = error(("late", promo(ends=END)), ("early", early))
    assert message.startswith("p.json: [promotions.early]: ")
    assert "'late'" in message


def test_back_to_back_promotions_in_one_city_are_allowed():
    first = promo(ends=END)
    second = promo(starts=END, ends="2026-12-15T10:00:00-08:00")
    assert len(load(("a", first), ("b", second))) == 2


def test_promotions_in_overlapping_periods_in_different_cities_are_allowed():
    assert len(load(("a", promo()), ("b", promo(city="chicago")))) == 2


def test_a_city_and_a_zone_of_the_same_id_do_not_overlap():
    assert len(load(("a", promo(city="x")), ("b", promo(city=None, zone="x")))) == 2


def test_two_promotions_for_one_zone_in_overlapping_periods_are_refused():
    zone = promo(city=None, zone="sf-mission")
    assert "for zone 'sf-mission'" in error(("a", zone), ("b", zone))


# In the past, at load


NOW = epoch("2026-11-26T00:00:00Z")


def test_a_promotion_that_has_ended_is_refused_with_now():
    message = error(
        ("p", promo(starts="2026-11-01T00:00:00Z", ends="2026-11-20T00:00:00Z")), now=NOW
    )
    assert message.startswith("p.json: [promotions.p]: in the past: it ended at 2026-11-20")


def test_a_promotion_started_without_ends_and_with_every_window_closed_is_refused():
    windows = ["2026-11-02T00:00:00Z/PT1H"]
    message = error(("p", promo(starts="2026-11-01T00:00:00Z", windows=windows)), now=NOW)
    assert "in the past" in message


def test_a_started_promotion_with_a_window_to_come_is_allowed():
    windows = ["2026-11-02T00:00:00Z/PT1H", "2026-12-02T00:00:00Z/PT1H"]
    found = load(("p", promo(starts="2026-11-01T00:00:00Z", windows=windows)), now=NOW)
    assert len(found) == 1


def test_a_promotion_that_has_not_ended_is_allowed_even_with_its_windows_past():
    table = promo(
        starts="2026-11-01T00:00:00Z",
        ends="2026-12-01T00:00:00Z",
        windows=["2026-11-02T00:00:00Z/PT1H"],
    )
    assert len(load(("p", table), now=NOW)) == 1


def test_without_now_a_past_promotion_loads():
    table = promo(starts="2020-01-01T00:00:00Z", ends="2020-02-01T00:00:00Z")
    assert len(load(("p", table))) == 1


# Skippable, at run time


def made(starts: float, ends: float | None = None, *windows: tuple[float, float]) -> Promotion:
    return Promotion(
        "p", "c", None, starts, ends, tuple(Window(*w) for w in windows), 600, 60, ("/a",), (), "t"
    )


def test_a_promotion_yet_to_start_is_not_skippable():
    assert skippable(made(1000), 500) is None


def test_a_promotion_starting_now_is_not_skippable():
    assert skippable(made(1000), 1000) is None


def test_an_ended_promotion_is_skipped():
    assert skippable(made(0, 1000, (100, 200), (2000, 3000)), 1000) == "ended"


def test_a_started_promotion_whose_windows_have_all_opened_is_skipped():
    assert skippable(made(0, None, (100, 200), (300, 400)), 350) == "all windows past"


def test_a_started_promotion_without_windows_is_skipped():
    assert skippable(made(0), 1) == "started, no windows"


def test_a_started_promotion_with_a_window_to_come_is_not_skippable():
    assert skippable(made(0, None, (100, 200), (300, 400)), 250) is None


# The shipped file


def test_the_shipped_promotions_load_on_2026_11_26_with_the_pdp_view():
    found = load_promotions_toml(
        SHIPPED.read_text(encoding="utf-8"),
        "edge/promotions.toml",
        prefixes=PREFIXES,
        now=NOW,
        known_views=("pdp",),
    )
    assert {promotion.city for promotion in found} == {"san-francisco", "chicago"}
    assert all(promotion.windows for promotion in found)


def test_where_a_shopper_stands_is_read():
    assert one(at=[37.7749, -122.4194]).at == (37.7749, -122.4194)


def test_without_a_point_warming_places_no_one():
    assert one().at is None


@pytest.mark.parametrize("at", [[91, 0], [0, 181], [1], [True, 2], "37,-122", [1, 2, 3]])
def test_a_point_off_the_globe_or_not_a_pair_is_refused(at):
    assert "expected [latitude, longitude] on the globe" in key_error("at", at=at)
