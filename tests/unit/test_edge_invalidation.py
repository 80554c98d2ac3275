"""Events become the fewest purge calls: each event type's phases name tag templates, filled in
from the event; the tags of one moment are de-duplicated without case, a hard purge makes a
soft one of the same tag redundant, and the rest go in calls of at most tags_per_call tags,
ceil(distinct / tags_per_call) calls per mode. Delayed phases become Later entries."""

from __future__ import annotations

import math

import pytest
from events import EVENT_TYPES, Event
from hypothesis import given, settings
from hypothesis import strategies as st
from invalidation import Later, Phase, Plan, Purge, check_template, coalesce, expand, plan
from tags import MAX_TAG_BYTES

EVENT = Event("e1", "restock", "SKU-1", "store-7", 0.0, zone_id="paris-11")
NO_ZONE = Event("e2", "restock", "SKU-2", "store-8", 0.0)
PHASES = {
    "inventory.changed": (Phase(0, "hard", ("sku:{sku}@{store}",)),),
    "price.changed": (Phase(0, "hard", ("price:{sku}",)),),
    "product.updated": (Phase(0, "soft", ("sku:{sku}",)),),
    "restock": (
        Phase(0, "hard", ("sku:{sku}@{store}", "price:{sku}")),
        Phase(10, "soft", ("sku:{sku}",)),
        Phase(30, "soft", ("store:{store}", "zone:{zone}", "products")),
    ),
}


def event(kind: str = "inventory.changed", sku: str = "SKU-1", **fields) -> Event:
    return Event(
        fields.pop("event_id", f"{kind}-{sku}"),
        kind,
        sku,
        fields.pop("store_id", "s1"),
        0.0,
        **fields,
    )


# Templates


def test_expand_fills_in_each_placeholder():
    assert expand("{sku}@{store}/{zone}", EVENT) == "SKU-1@store-7/paris-11"


def test_expand_keeps_literal_text():
    assert expand("products", EVENT) == "products"


def test_expand_repeats_a_placeholder_as_often_as_it_appears():
    assert expand("{sku}-{sku}", EVENT) == "SKU-1-SKU-1"


def test_a_template_needing_a_zone_expands_to_none_for_an_event_without_one():
    assert expand("zone:{zone}", NO_ZONE) is None


def test_a_template_without_zone_expands_for_an_event_without_one():
    assert expand("store:{store}", NO_ZONE) == "store:store-8"


def test_expand_refuses_a_template_check_template_refuses():
    with pytest.raises(ValueError, match="unknown placeholder"):
        expand("{color}", EVENT)


@pytest.mark.parametrize(
    "template", ["sku:{sku}@{store}", "zone:{zone}", "products", "x" * 100, "{sku}{store}{zone}"]
)
def test_a_usable_template_passes_the_check(template):
    assert check_template(template) is None


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("", "empty"),
        ("{color}", "unknown placeholder '{color}'"),
        ("{SKU}", "unknown placeholder"),
        ("{}", "unknown placeholder '{}'"),
        ("{ sku }", "unknown placeholder"),
        ("sku:{sku", "unbalanced '{'"),
        ("sku:sku}", "unbalanced '}'"),
        ("{{sku}}", "unbalanced '{'"),
        ("a,b", "','"),
        ("a b", "' '"),
        ("a\tb", "'\\t'"),
        ("a\x00b", "'\\x00'"),
        ("a\x85b", "'\\x85'"),
        ("x" * (MAX_TAG_BYTES + 1), "longer"),
        ("x" * (MAX_TAG_BYTES - 64) + "{sku}", None),
        ("x" * (MAX_TAG_BYTES - 63) + "{sku}", "longer"),
    ],
)
def test_check_template_says_what_is_wrong_in_one_line(template, words):
    found = check_template(template)
    if words is None:
        assert found is None
    else:
        assert found is not None
        assert words in found
        assert "\n" not in found


@pytest.mark.parametrize("expected", ["{sku}", "{store}", "{zone}"])
def test_an_unknown_placeholder_reason_lists_the_known_ones(expected):
    reason = check_template("{color}")
    assert reason is not None
    assert expected in reason


# Plans


def test_an_inventory_change_hard_purges_the_sku_at_its_store():
    assert plan([event()], PHASES, 100) == Plan((Purge("hard", ("sku:SKU-1@s1",)),), ())


def test_a_type_without_phases_purges_nothing():
    assert plan([event("inventory.changed")], {}, 100) == Plan((), ())


def test_no_events_plan_nothing():
    assert plan([], PHASES, 100) == Plan((), ())


def test_a_restock_cascades_now_then_after_10_then_after_30_seconds():
    assert plan([EVENT], PHASES, 100) == Plan(
        now=(Purge("hard", ("price:SKU-1", "sku:SKU-1@store-7")),),
        later=(
            Later(10, "soft", ("sku:SKU-1",)),
            Later(30, "soft", ("products", "store:store-7", "zone:paris-11")),
        ),
    )


def test_a_zone_template_is_skipped_for_an_event_without_a_zone():
    later = plan([NO_ZONE], PHASES, 100).later
    assert later[-1] == Later(30, "soft", ("products", "store:store-8"))


def test_a_phase_whose_templates_all_need_a_zone_plans_nothing_without_one():
    phases = {"restock": (Phase(5, "hard", ("zone:{zone}",)),)}
    assert plan([NO_ZONE], phases, 100) == Plan((), ())


def test_the_same_tag_from_many_events_is_purged_once():
    events = [event(event_id=f"e{n}") for n in range(50)]
    assert plan(events, PHASES, 100).now == (Purge("hard", ("sku:SKU-1@s1",)),)


def test_a_hard_purge_of_a_tag_drops_a_soft_purge_of_it_at_the_same_moment():
    phases = {"restock": (Phase(0, "hard", ("sku:{sku}",)), Phase(0, "soft", ("sku:{sku}", "x")))}
    assert plan([EVENT], phases, 100).now == (
        Purge("hard", ("sku:SKU-1",)),
        Purge("soft", ("x",)),
    )


def test_a_hard_purge_now_does_not_drop_a_soft_purge_later():
    phases = {"restock": (Phase(0, "hard", ("sku:{sku}",)), Phase(10, "soft", ("sku:{sku}",)))}
    assert plan([EVENT], phases, 100).later == (Later(10, "soft", ("sku:SKU-1",)),)


def test_a_later_hard_purge_drops_a_later_soft_purge_after_the_same_delay():
    phases = {"restock": (Phase(10, "soft", ("a", "b")), Phase(10, "hard", ("A",)))}
    assert plan([EVENT], phases, 100).later == (
        Later(10, "hard", ("A",)),
        Later(10, "soft", ("b",)),
    )


def test_later_entries_come_soonest_first_hard_before_soft():
    phases = {
        "restock": (
            Phase(60, "soft", ("d",)),
            Phase(5, "soft", ("c",)),
            Phase(60, "hard", ("b",)),
            Phase(5, "hard", ("a",)),
        )
    }
    assert [(later.after, later.mode) for later in plan([EVENT], phases, 100).later] == [
        (5, "hard"),
        (5, "soft"),
        (60, "hard"),
        (60, "soft"),
    ]


def test_later_entries_are_chunked_to_tags_per_call():
    phases = {"restock": (Phase(10, "soft", ("a", "b", "c")),)}
    assert plan([EVENT], phases, 2).later == (
        Later(10, "soft", ("a", "b")),
        Later(10, "soft", ("c",)),
    )


# Coalescing


def test_coalesce_sorts_and_dedupes_tags():
    assert coalesce([("hard", ["b", "a", "b"]), ("hard", ["a"])], 100) == (
        Purge("hard", ("a", "b")),
    )


def test_coalesce_compares_tags_without_case_keeping_the_first_spelling():
    assert coalesce([("hard", ["Sku:A", "sku:a", "SKU:A"])], 100) == (Purge("hard", ("Sku:A",)),)


def test_a_hard_purge_subsumes_a_soft_one_differing_only_in_case():
    assert coalesce([("soft", ["sku:a"]), ("hard", ["SKU:A"])], 100) == (Purge("hard", ("SKU:A",)),)


def test_hard_calls_come_before_soft_ones():
    calls = coalesce([("soft", ["s"]), ("hard", ["h"])], 100)
    assert [call.mode for call in calls] == ["hard", "soft"]


def test_coalesce_chunks_each_mode_into_calls_of_at_most_tags_per_call():
    calls = coalesce([("hard", [f"t{n:03}" for n in range(250)])], 100)
    assert [len(call.tags) for call in calls] == [100, 100, 50]
    assert calls[0].tags[0] == "t000"
    assert calls[-1].tags[-1] == "t249"


def test_coalesce_makes_no_call_for_no_tags():
    assert coalesce([("hard", []), ("soft", [])], 10) == ()


@pytest.mark.parametrize("per_call", [0, -1])
def test_coalesce_needs_room_for_a_tag_per_call(per_call):
    with pytest.raises(ValueError, match="tags_per_call"):
        coalesce([("hard", ["a"])], per_call)


# Properties

TAGS = st.text("abAB:-{}", min_size=1, max_size=4)
PURGES = st.lists(st.tuples(st.sampled_from(["hard", "soft"]), st.lists(TAGS, max_size=12)))


@settings(max_examples=150, deadline=None)
@given(PURGES, st.integers(1, 7))
def test_every_tag_is_purged_in_exactly_one_call_of_the_strongest_mode(purges, per_call):
    calls = coalesce(purges, per_call)
    hard = {tag.lower() for mode, tags in purges if mode == "hard" for tag in tags}
    every = {tag.lower() for _, tags in purges for tag in tags}
    purged = [(call.mode, tag.lower()) for call in calls for tag in call.tags]
    assert sorted(key for _, key in purged) == sorted(every)  # each once, none extra
    assert all((mode == "hard") == (key in hard) for mode, key in purged)


@settings(max_examples=150, deadline=None)
@given(PURGES, st.integers(1, 7))
def test_calls_per_mode_are_ceil_of_distinct_tags_over_tags_per_call(purges, per_call):
    calls = coalesce(purges, per_call)
    hard = {tag.lower() for mode, tags in purges if mode == "hard" for tag in tags}
    soft = {tag.lower() for mode, tags in purges if mode == "soft" for tag in tags} - hard
    for mode, distinct in (("hard", hard), ("soft", soft)):
        made = [call for call in calls if call.mode == mode]
        assert len(made) == math.ceil(len(distinct) / per_call)
        assert all(1 <= len(call.tags) <= per_call for call in made)


@settings(max_examples=100, deadline=None)
@given(PURGES, st.integers(1, 7), st.randoms(use_true_random=False))
def test_the_calls_do_not_depend_on_the_order_of_the_purges(purges, per_call, random):
    # Lower-case tags: with case, which spelling is "first" depends on the order, by design.
    lowered = [(mode, [tag.lower() for tag in tags]) for mode, tags in purges]
    shuffled = list(lowered)
    random.shuffle(shuffled)
    assert coalesce(shuffled, per_call) == coalesce(lowered, per_call)


@settings(max_examples=100, deadline=None)
@given(PURGES, st.integers(1, 7))
def test_calls_are_hard_first_each_mode_sorted(purges, per_call):
    calls = coalesce(purges, per_call)
    modes = [call.mode for call in calls]
    assert modes == sorted(modes)  # "hard" < "soft"
    for mode in ("hard", "soft"):
        keys = [tag.lower() for call in calls if call.mode == mode for tag in call.tags]
        assert keys == sorted(keys)


NAMES = st.text("aAbB1._-", min_size=1, max_size=3)
EVENTS = st.lists(
    st.builds(
        Event,
        event_id=st.just("e"),
        type=st.sampled_from(EVENT_TYPES),
        sku=NAMES,
        store_id=NAMES,
        ts=st.just(0.0),
        zone_id=st.none() | NAMES,
    ),
    max_size=8,
)
TEMPLATES = st.lists(st.sampled_from(["s:{sku}", "{sku}@{store}", "z:{zone}", "all", "{store}"]))
PHASE_LISTS = st.dictionaries(
    st.sampled_from(EVENT_TYPES),
    st.lists(
        st.builds(
            Phase,
            after=st.sampled_from([0, 0, 10, 30]),
            mode=st.sampled_from(["hard", "soft"]),
            tags=TEMPLATES.map(tuple),
        ),
        max_size=3,
    ),
)


def expected_tags(events, phases, after):
    """{(mode, folded tag)} the phases with this delay name for the events, soft minus hard."""
    named = {
        (phase.mode, tag.lower())
        for event in events
        for phase in phases.get(event.type, ())
        if phase.after == after
        for template in phase.tags
        if (tag := expand(template, event)) is not None
    }
    hard = {tag for mode, tag in named if mode == "hard"}
    return {(mode, tag) for mode, tag in named if mode == "hard" or tag not in hard}


@settings(max_examples=150, deadline=None)
@given(EVENTS, PHASE_LISTS, st.integers(1, 5))
def test_a_plan_purges_every_expanded_tag_once_at_its_delay(events, phases, per_call):
    result = plan(events, phases, per_call)
    now = [(call.mode, tag.lower()) for call in result.now for tag in call.tags]
    assert len(now) == len(set(now))
    assert set(now) == expected_tags(events, phases, 0)
    for after in (10, 30):
        later = [
            (entry.mode, tag.lower())
            for entry in result.later
            if entry.after == after
            for tag in entry.tags
        ]
        assert len(later) == len(set(later))
        assert set(later) == expected_tags(events, phases, after)
    assert {entry.after for entry in result.later} <= {10, 30}


@settings(max_examples=150, deadline=None)
@given(EVENTS, PHASE_LISTS, st.integers(1, 5))
def test_a_plan_makes_ceil_of_distinct_tags_over_tags_per_call_calls(events, phases, per_call):
    result = plan(events, phases, per_call)
    groups = [(0, call.mode, call.tags) for call in result.now]
    groups += [(entry.after, entry.mode, entry.tags) for entry in result.later]
    for after in (0, 10, 30):
        expected = expected_tags(events, phases, after)
        for mode in ("hard", "soft"):
            distinct = sum(1 for tag_mode, _ in expected if tag_mode == mode)
            made = [tags for at, m, tags in groups if (at, m) == (after, mode)]
            assert len(made) == math.ceil(distinct / per_call)
            assert all(1 <= len(tags) <= per_call for tags in made)
