"""[batch] in routes.toml sets the limits of POST /_edge/batch; each is checked at load, and a
mistake fails the load with one line naming the file, [batch] and the key."""

from __future__ import annotations

import pytest
from batchconfig import PLAN_SUBREQUESTS, BatchSettings
from routes import RoutesError, load_routes


def batch(*lines: str) -> BatchSettings:
    return load_routes("\n".join(["[batch]", *lines]), "f.toml").batch


def error(*lines: str) -> str:
    with pytest.raises(RoutesError) as raised:
        batch(*lines)
    message = str(raised.value)
    assert "\n" not in message
    return message


# Defaults


def test_a_file_without_batch_gets_the_documented_defaults():
    assert load_routes("").batch == BatchSettings(
        prefixes=("/api/",),
        max_items=20,
        max_body=1024 * 1024,
        max_depth=5,
        concurrency=20,
        subrequests=50,
        credentials=frozenset(),
    )


def test_an_empty_batch_table_gets_the_defaults():
    assert batch() == BatchSettings()


def test_a_batch_table_changes_only_the_keys_it_gives():
    assert batch("max_items = 5") == BatchSettings(max_items=5)


# Subrequests


def test_the_free_plan_allows_50_subrequests():
    assert batch('plan = "free"').subrequests == 50 == PLAN_SUBREQUESTS["free"]


def test_the_paid_plan_allows_10000_subrequests():
    assert batch('plan = "paid"').subrequests == 10_000


def test_subrequests_sets_a_custom_limit():
    assert batch("subrequests = 1000").subrequests == 1000


def test_plan_and_subrequests_together_are_refused():
    message = error('plan = "paid"', "subrequests = 100")
    assert message.startswith("f.toml: [batch]: key 'subrequests': ")
    assert "not both" in message


@pytest.mark.parametrize("plan", ['"enterprise"', '"Paid"', '""', "1"])
def test_an_unknown_plan_is_refused(plan):
    assert error(f"plan = {plan}").startswith("f.toml: [batch]: key 'plan': expected ")


@pytest.mark.parametrize("value", ["0", "-1", "10000001", "true", '"50"', "5.0"])
def test_subrequests_must_be_an_integer_from_1_to_10_million(value):
    message = error(f"subrequests = {value}")
    assert message.startswith("f.toml: [batch]: key 'subrequests': expected an integer from 1 ")


# Counts


@pytest.mark.parametrize("key", ["max_items", "max_depth", "concurrency"])
@pytest.mark.parametrize("value", [1, 1000])
def test_a_count_may_be_from_1_to_1000(key, value):
    assert getattr(batch(f"{key} = {value}"), key) == value


@pytest.mark.parametrize("key", ["max_items", "max_depth", "concurrency"])
@pytest.mark.parametrize("value", ["0", "1001", "-3", "true", '"20"', "2.5"])
def test_a_count_outside_1_to_1000_or_not_an_integer_is_refused(key, value):
    message = error(f"{key} = {value}")
    assert message.startswith(f"f.toml: [batch]: key '{key}': expected an integer from 1 to 1000")


# The body size


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ('"64KiB"', 64 * 1024),
        ('"1MiB"', 1024 * 1024),
        ('"100MiB"', 100 * 1024 * 1024),
        ('"2048B"', 2048),
        ('"1KiB"', 1024),
        ("1024", 1024),
        ("5000000", 5_000_000),
    ],
)
def test_max_body_is_a_size_with_a_unit_or_a_number_of_bytes(value, size):
    assert batch(f"max_body = {value}").max_body == size


@pytest.mark.parametrize("value", ['"1023B"', "1023", "0", '"0KiB"', "-1"])
def test_max_body_below_1kib_is_refused(value):
    message = error(f"max_body = {value}")
    assert message.startswith("f.toml: [batch]: key 'max_body': must be from 1KiB to 100MiB")


@pytest.mark.parametrize("value", ['"101MiB"', "104857601", '"102401KiB"'])
def test_max_body_above_100mib_is_refused(value):
    message = error(f"max_body = {value}")
    assert message.startswith("f.toml: [batch]: key 'max_body': must be from 1KiB to 100MiB")


@pytest.mark.parametrize(
    "value", ['"1 MiB"', '"1MB"', '"1mib"', '"1.5MiB"', '"KiB"', "1.5", "true"]
)
def test_max_body_that_is_not_a_size_is_refused(value):
    message = error(f"max_body = {value}")
    assert message.startswith("f.toml: [batch]: key 'max_body': expected a size such as '64KiB'")


# Prefixes


def test_prefixes_are_kept_in_order():
    assert batch('prefixes = ["/v2/", "/api/public/"]').prefixes == ("/v2/", "/api/public/")


def test_the_root_prefix_is_allowed():
    assert batch('prefixes = ["/"]').prefixes == ("/",)


def test_an_empty_list_of_prefixes_is_allowed():
    assert batch("prefixes = []").prefixes == ()


@pytest.mark.parametrize(
    "prefix",
    [
        "/api",
        "api/",
        "",
        "/api//",
        "//",
        "/./",
        "/../",
        "/api/../",
        "/api/./x/",
        "/a%2e/",
        "/a?/",
        "/a#/",
        "/a b/",
        "/é/",
        "/a\\b/",
    ],
)
def test_a_prefix_must_start_and_end_with_a_slash_without_tricks(prefix):
    message = error(f"prefixes = ['{prefix}']")
    assert message.startswith(f"f.toml: [batch]: key 'prefixes': {prefix!r} is not a path prefix")


@pytest.mark.parametrize("prefix", ["/_edge/", "/_edge/views/", "/_edge/batch/"])
def test_a_prefix_under_the_edges_own_endpoints_is_refused(prefix):
    message = error(f'prefixes = ["{prefix}"]')
    assert message.startswith("f.toml: [batch]: key 'prefixes': ")
    assert "batches do not nest" in message


@pytest.mark.parametrize("value", ['"/api/"', '["/api/", 1]', "{}"])
def test_prefixes_must_be_an_array_of_strings(value):
    message = error(f"prefixes = {value}")
    assert message.startswith("f.toml: [batch]: key 'prefixes': expected an array of strings")


# Credentials


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ('["cookie"]', {"cookie"}),
        ('["authorization"]', {"authorization"}),
        ('["Cookie", "Authorization"]', {"cookie", "authorization"}),
        ("[]", set()),
    ],
)
def test_credentials_name_cookie_and_or_authorization_in_any_case(value, names):
    assert batch(f"credentials = {value}").credentials == names


@pytest.mark.parametrize("name", ["session", "set-cookie", "x-api-key", "*"])
def test_credentials_other_than_cookie_or_authorization_are_refused(name):
    message = error(f'credentials = ["cookie", "{name}"]')
    assert message.startswith("f.toml: [batch]: key 'credentials': expected 'cookie' and/or")
    assert repr(name) in message


@pytest.mark.parametrize("value", ['"cookie"', "[1]", "true"])
def test_credentials_must_be_an_array_of_strings(value):
    message = error(f"credentials = {value}")
    assert message.startswith("f.toml: [batch]: key 'credentials': expected an array of strings")


# Mistakes


@pytest.mark.parametrize(
    ("key", "close"),
    [
        ("max_item", "max_items"),
        ("prefix", "prefixes"),
        ("subrequest", "subrequests"),
        ("credential", "credentials"),
        ("concurency", "concurrency"),
    ],
)
def test_an_unknown_key_is_refused_suggesting_the_close_one(key, close):
    message = error(f"{key} = 1")
    assert message == f"f.toml: [batch]: unknown key {key!r} (did you mean {close!r}?)"


def test_an_unknown_key_like_none_lists_the_known_ones():
    message = error("zzz = 1")
    assert message.startswith("f.toml: [batch]: unknown key 'zzz' (expected prefixes, max_items")


def test_batch_that_is_not_a_table_is_refused():
    with pytest.raises(RoutesError, match=r"^f\.toml: \[batch\]: expected a table"):
        load_routes("batch = 1", "f.toml")


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('plan = "gold"', "plan"),
        ("subrequests = 0", "subrequests"),
        ("max_items = 0", "max_items"),
        ("max_depth = 0", "max_depth"),
        ("concurrency = 0", "concurrency"),
        ('max_body = "1TiB"', "max_body"),
        ('prefixes = ["/api"]', "prefixes"),
        ('credentials = ["x"]', "credentials"),
    ],
)
def test_each_refusal_is_one_line_naming_the_file_the_table_and_the_key(line, key):
    assert error(line).startswith(f"f.toml: [batch]: key {key!r}: ")
