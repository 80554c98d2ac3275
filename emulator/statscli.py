"""``popcache stats``: the figures of a running ``popcache dev``, as tables or its JSON.

    popcache stats [--url http://127.0.0.1:8787] [--window N] [--json]

It reads ``GET /cdn-cgi/popcache/stats`` (docs/observability.md), the same figures as the
dashboard's, and prints them as tables (:mod:`emulator.statstables`) or, with ``--json``, as
the emulator sent them. Bad usage, or no emulator answering at ``--url``: one line, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import aiohttp

from .figures import DEFAULT_WINDOW, MAX_WINDOW
from .frontdoor import STATS_ENDPOINT
from .statstables import stats_tables

__all__ = ["add_stats_command", "run_stats"]

_DEFAULT_URL = "http://127.0.0.1:8787"


def _window(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_WINDOW):
        raise argparse.ArgumentTypeError(f"must be whole seconds from 1 to {MAX_WINDOW}")
    return int(text)


def add_stats_command(commands: Any) -> None:
    stats = commands.add_parser("stats", help="print a running emulator's figures as tables")
    stats.add_argument("--url", default=_DEFAULT_URL, help=f"the emulator (default {_DEFAULT_URL})")
    stats.add_argument(
        "--window",
        type=_window,
        default=DEFAULT_WINDOW,
        metavar="N",
        help=f"the last N seconds, 1 to {MAX_WINDOW} (default {DEFAULT_WINDOW})",
    )
    stats.add_argument("--json", action="store_true", help="print the JSON as it came")


async def _fetch(url: str, window: int) -> tuple[int, Any]:
    target = f"{url.rstrip('/')}{STATS_ENDPOINT}"
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(target, params={"window": str(window)}) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


def run_stats(args: argparse.Namespace) -> int:
    try:
        status, stats = asyncio.run(_fetch(args.url, args.window))
    except (TimeoutError, OSError, aiohttp.ClientError, ValueError) as exc:
        print(f"popcache: --url: no emulator answers at {args.url}: {exc}", file=sys.stderr)
        return 2
    if status != 200 or not isinstance(stats, dict):
        detail = stats.get("detail", stats) if isinstance(stats, dict) else stats
        print(f"popcache: --url: {args.url} gave no stats ({status}): {detail}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        print("\n".join(stats_tables(stats, args.url)))
    return 0
