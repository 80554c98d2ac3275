"""[events] and [purge] in routes.toml: defaults, overrides, and one clear line per mistake."""

import pytest
from eventconfig import DEFAULT_PHASES, EventSettings, PurgeSettings
from invalidation import Phase
from routes import load_routes
from routesyntax import RoutesError


def routes(text):
    return load_routes(text, "f.toml")


def error(text):
    with pytest.raises(RoutesError) as caught:
        routes(text)
    return str(caught.value)


def test_without_the_tables_the_defaults_apply():
    loaded = routes("")
    assert loaded.events == EventSettings()
    assert loaded.purge == PurgeSettings()
    assert loaded.events.phases == DEFAULT_PHASES


def test_a_type_given_replaces_its_default_phases_only():
    loaded = routes(
        '[[events.on."inventory.changed"]]\nafter = "5s"\nmode = "soft"\ntags = ["stock:{store}"]\n'
    )
    assert loaded.events.phases["inventory.changed"] == (Phase(5, "soft", ("stock:{store}",)),)
    assert loaded.events.phases["restock"] == DEFAULT_PHASES["restock"]


def test_the_settings_are_read():
    loaded = routes('[events]\ntolerance = "1m"\nmax_events = 10\nremember = "2h"\n')
    assert (loaded.events.tolerance, loaded.events.max_events, loaded.events.remember) == (
        60.0,
        10,
        7200.0,
    )


def test_the_purge_plan_sets_the_rate():
    loaded = routes('[purge]\nplan = "enterprise"\ntags_per_call = 30\n')
    assert (loaded.purge.rate.bucket, loaded.purge.tags_per_call) == (500, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[events.on.teleport]]\ntags = ['a']\n",
            "f.toml: [events]: key 'on.teleport': unknown event type (expected one of "
            "inventory.changed, price.changed, restock, product.updated)",
        ),
        (
            "[[events.on.restock]]\ntags = ['sku:{colour}']\n",
            "f.toml: [events]: key 'on.restock'[0]: key 'tags[0]': ",
        ),
        (
            "[[events.on.restock]]\nmode = 'gentle'\ntags = ['a']\n",
            "f.toml: [events]: key 'on.restock'[0]: key 'mode': expected 'hard' or 'soft', "
            "got 'gentle'",
        ),
        (
            "[[events.on.restock]]\nafter = '13h'\ntags = ['a']\n",
            "f.toml: [events]: key 'on.restock'[0]: key 'after': must be whole seconds up to "
            "12h (Queues' longest delay)",
        ),
        ("[[events.on.restock]]\ntags = []\n", "key 'tags': expected a non-empty array"),
        ("[events]\nmax_events = 101\n", "key 'max_events': expected an integer from 1 to 100"),
        ("[events]\nremember = '10s'\n", "key 'remember': must be from 60s to 30d"),
        ("[events]\ntolerance = '2h'\n", "key 'tolerance': must be from 1s to 1h"),
        ("[purge]\nplan = 'gold'\n", "key 'plan': expected one of free, pro, business"),
        ("[purge]\ntags_per_call = 101\n", "key 'tags_per_call': expected an integer from 1"),
    ],
)
def test_a_mistake_is_one_line_naming_file_table_and_key(text, message):
    found = error(text)
    assert message in found
    assert "\n" not in found
