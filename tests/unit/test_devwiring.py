"""What popcache dev fills in for a worker that names a purge API, and only for one."""

from pathlib import Path

from emulator.devwiring import DEV_EVENTS_SECRET, dev_wiring
from emulator.purgeapi import DEV_API_TOKEN
from emulator.purgecli import DEV_ADMIN_TOKEN
from emulator.wrangler import WorkerConfig

URL = "http://127.0.0.1:8787"


def config(vars=None, secrets=None):
    return WorkerConfig(
        Path("wrangler.toml"), "w", Path("main.py"), vars=vars or {}, secrets=secrets or {}
    )


def test_a_worker_without_purge_api_is_left_as_it_is():
    wiring = dev_wiring(config({"ORIGIN": "x"}), URL, "pro")
    assert (wiring.overrides, wiring.events_secret, wiring.filled) == ({}, None, ())


def test_purge_api_points_at_the_emulator_and_its_zone_is_served():
    wiring = dev_wiring(config({"PURGE_API": "https://api", "ZONE_ID": "z1"}), URL, "free")
    assert wiring.overrides["PURGE_API"] == f"{URL}/cdn-cgi/popcache/client/v4"
    assert (wiring.purge.zone_id, wiring.purge.plan) == ("z1", "free")


def test_unset_secrets_get_development_values_and_are_named():
    wiring = dev_wiring(config({"PURGE_API": "https://api"}), URL, "pro")
    assert wiring.filled == ("EVENTS_SECRET", "ADMIN_TOKEN", "PURGE_API_TOKEN")
    assert wiring.overrides["ADMIN_TOKEN"] == DEV_ADMIN_TOKEN
    assert (wiring.events_secret, wiring.purge.token) == (DEV_EVENTS_SECRET, DEV_API_TOKEN)


def test_secrets_from_dev_vars_are_kept_and_the_api_accepts_the_workers_token():
    secrets = {"EVENTS_SECRET": "mine", "PURGE_API_TOKEN": "cf-token"}
    wiring = dev_wiring(config({"PURGE_API": "https://api"}, secrets), URL, "pro")
    assert wiring.filled == ("ADMIN_TOKEN",)
    assert (wiring.events_secret, wiring.purge.token) == ("mine", "cf-token")
