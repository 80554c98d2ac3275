"""What ``popcache dev`` fills in so a worker's events and purges work with no setup.

A worker that names a purge API (the ``PURGE_API`` var, as popcache's edge bundle does) gets it
pointed at the emulator's own (``/cdn-cgi/popcache/client/v4``), and the emulator serves the
worker's own ``ZONE_ID`` and accepts its own ``PURGE_API_TOKEN``: the same code and settings as
in production, the purges landing on the emulated PoPs. Its secrets left unset by
``.dev.vars`` get development values, printed at start, so a fresh clone runs as it is; the demo
origin signs its events with the same ``EVENTS_SECRET``. A worker without ``PURGE_API`` is left
as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from .purgeapi import DEV_API_TOKEN, DEV_ZONE_ID, PURGE_API_PATH, PurgeSettings
from .purgecli import DEV_ADMIN_TOKEN
from .wrangler import WorkerConfig

__all__ = ["DEV_EVENTS_SECRET", "DevWiring", "dev_wiring"]

DEV_EVENTS_SECRET = "popcache-dev-events-secret"
_PURGE_API_VAR = "PURGE_API"
_DEV_SECRETS = {
    "EVENTS_SECRET": DEV_EVENTS_SECRET,
    "ADMIN_TOKEN": DEV_ADMIN_TOKEN,
    "PURGE_API_TOKEN": DEV_API_TOKEN,
}


@dataclass(frozen=True)
class DevWiring:
    overrides: dict[str, str]
    """Vars and secrets to give the worker."""
    purge: PurgeSettings
    """The emulated purge API's zone, token and plan."""
    events_secret: str | None
    """What the demo origin signs its events with; None for a worker without events."""
    filled: tuple[str, ...]
    """The secrets given development values."""


def dev_wiring(config: WorkerConfig, url: str, plan: str) -> DevWiring:
    """The wiring for ``config`` served at ``url`` (the front door's base URL)."""
    if _PURGE_API_VAR not in config.vars:
        return DevWiring({}, PurgeSettings(plan=plan), None, ())
    filled = tuple(name for name in _DEV_SECRETS if not config.secrets.get(name))
    secrets = {name: config.secrets.get(name) or _DEV_SECRETS[name] for name in _DEV_SECRETS}
    zone = config.vars.get("ZONE_ID")
    purge = PurgeSettings(
        zone_id=zone if isinstance(zone, str) and zone else DEV_ZONE_ID,
        token=secrets["PURGE_API_TOKEN"],
        plan=plan,
    )
    overrides = {_PURGE_API_VAR: f"{url.rstrip('/')}{PURGE_API_PATH}", **secrets}
    if "STOREFRONT" in config.vars:  # warming fetches the storefront: here, the front door
        overrides["STOREFRONT"] = url.rstrip("/")
    return DevWiring(overrides, purge, secrets["EVENTS_SECRET"], filled)
