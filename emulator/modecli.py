"""``popcache origin-mode MODE``: switch the running demo origin to healthy, slow or overloaded.

What ``--origin-mode`` does for ``popcache dev`` at start, this does while it runs, so a person
can watch placeholders appear (slow) and back-pressure climb (overloaded) without editing
knobs by hand (docs/placeholders.md). It talks to the demo origin's ``PUT /_admin/mode``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import aiohttp

from .origin.modes import MODES

__all__ = ["DEFAULT_ORIGIN", "add_mode_command", "run_mode", "set_mode"]

DEFAULT_ORIGIN = "http://127.0.0.1:8788"


def add_mode_command(commands: Any) -> None:
    mode = commands.add_parser(
        "origin-mode", help="switch the running demo origin to healthy, slow or overloaded"
    )
    mode.add_argument("mode", choices=list(MODES))
    mode.add_argument(
        "--url", default=DEFAULT_ORIGIN, help=f"the demo origin's URL (default {DEFAULT_ORIGIN})"
    )


async def set_mode(url: str, mode: str) -> dict[str, Any]:
    """Put the demo origin at ``url`` into ``mode``; its answer (mode and knobs)."""
    timeout = aiohttp.ClientTimeout(total=10)
    target = f"{url.rstrip('/')}/_admin/mode"
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.put(target, json={"mode": mode}) as reply,
    ):
        answer: dict[str, Any] = await reply.json(content_type=None)
        if reply.status != 200:
            raise OSError(f"the demo origin refused: {answer.get('detail', reply.status)}")
        return answer


def run_mode(args: argparse.Namespace) -> int:
    try:
        answer = asyncio.run(set_mode(args.url, args.mode))
    except (TimeoutError, OSError, aiohttp.ClientError, ValueError) as exc:
        print(f"popcache: cannot switch the demo origin at {args.url}: {exc}", file=sys.stderr)
        return 1
    knobs = answer["knobs"]
    print(
        f"popcache: demo origin at {args.url} is {answer['mode']}: latency "
        f"{knobs['latency_ms']} ms (+{knobs['jitter_ms']}), {knobs['fail_rate']:.0%} answered "
        f"{knobs['fail_status']}",
        flush=True,
    )
    return 0
