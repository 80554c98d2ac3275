"""``popcache warm``: warm one promotion now, by hand, through a running ``popcache dev``.

    popcache warm --promotion NAME [--dry-run] [--url http://127.0.0.1:8787] [-c wrangler.toml]

The promotion comes from the bundle's ``promotions.toml``, read by the edge's own parser. Its
paths (URLs, then views) are fetched through the front door as a shopper standing at the
promotion's ``at`` (``X-Popcache-Client-Geo``), so they land in the PoP serving that point,
one every ``60 / budget`` seconds: the origin never sees more than the budget in a minute. A
progress bar shows on a terminal; the end says where each path now is. ``--dry-run`` prints
the plan and fetches nothing. The cron's warming (docs/promotions.md) also tags what it stores
with the promotion's tag; fetches from here are a shopper's, and carry the content's own tags.
Exit 2 (one line) for an unknown promotion or a bad file, 1 when the edge cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from .anycast import GEO_HEADER
from .edgemodules import reach_edge_modules
from .errors import ConfigError
from .wrangler import load_config

__all__ = ["add_warm_command", "run_warm"]

_DEFAULT_URL = "http://127.0.0.1:8787"


def add_warm_command(commands: Any) -> None:
    warm = commands.add_parser("warm", help="warm one promotion's paths now, within its budget")
    warm.add_argument("--promotion", required=True, metavar="NAME")
    warm.add_argument("--dry-run", action="store_true", help="show the plan, fetch nothing")
    warm.add_argument("--url", default=_DEFAULT_URL, help=f"the edge (default {_DEFAULT_URL})")
    warm.add_argument("-c", "--config", type=Path, help="wrangler.toml (default: the bundle's)")


def _promotion(config_path: Path, name: str) -> Any:
    reach_edge_modules()
    from promotions import load_promotions_toml
    from routes import load_routes
    from routesyntax import RoutesError

    config = load_config(config_path)
    folder = config.main.parent
    try:
        routes = load_routes((folder / "routes.toml").read_text(encoding="utf-8"))
        path = folder / "promotions.toml"
        promotions = load_promotions_toml(
            path.read_text(encoding="utf-8"),
            str(path),
            prefixes=routes.batch.prefixes,
            known_views=[view.name for view in routes.views],
        )
    except RoutesError as exc:
        raise ConfigError(folder / "promotions.toml", str(exc)) from None
    for promotion in promotions:
        if promotion.name == name:
            return promotion
    known = ", ".join(promotion.name for promotion in promotions) or "none"
    raise ConfigError("--promotion", f"no promotion {name!r} (known: {known})")


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


async def _warm(url: str, promotion: Any, paths: list[str]) -> list[tuple[str, int, str, str]]:
    headers = {}
    if promotion.at is not None:
        headers[GEO_HEADER] = f"{promotion.at[0]},{promotion.at[1]}"
    spacing = 60.0 / promotion.budget
    results: list[tuple[str, int, str, str]] = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(url, headers=headers, timeout=timeout) as session:
        started = time.monotonic()
        for index, path in enumerate(paths):
            await asyncio.sleep(max(0.0, started + index * spacing - time.monotonic()))
            async with session.get(path) as reply:
                await reply.read()
                pop = reply.headers.get("CF-Ray", "-").rpartition("-")[2]
                results.append((path, reply.status, pop, reply.headers.get("Cache-Status", "")))
            if sys.stderr.isatty():
                print(f"\r{_bar(index + 1, len(paths))}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return results


def run_warm(args: argparse.Namespace, default_config: Any) -> int:
    reach_edge_modules()
    from warmplan import targets

    promotion = _promotion(args.config or default_config(), args.promotion)
    paths = list(targets(promotion))
    where = (
        f"a shopper at {promotion.at[0]},{promotion.at[1]}"
        if promotion.at is not None
        else "a shopper placed by the front door's default"
    )
    print(
        f"popcache: {promotion.name} ({promotion.place}): {len(paths)} path(s) as {where}, "
        f"one every {60 / promotion.budget:g} s (budget {promotion.budget}/min)",
        flush=True,
    )
    if args.dry_run:
        for index, path in enumerate(paths):
            print(f"  +{index * 60 / promotion.budget:7.1f} s  {path}")
        return 0
    try:
        results = asyncio.run(_warm(args.url, promotion, paths))
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        print(f"popcache: cannot reach the edge at {args.url}: {exc}", file=sys.stderr)
        return 1
    for path, status, pop, cache_status in results:
        print(f"  {status} {pop:<4} {path}  ({cache_status})")
    failed = sum(1 for _, status, _, _ in results if status >= 400)
    print(f"popcache: warmed {len(results) - failed} of {len(results)} path(s)", flush=True)
    return 0 if not failed else 1
