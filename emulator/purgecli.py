"""``popcache purge``: an operator's purge through the edge's ``POST /_edge/purge``.

    popcache purge --tag sku:A1 [--tag ...] [--soft] [--url http://127.0.0.1:8787]
    popcache purge --prefix shop.example/api/ | --host shop.example | --file URL | --everything

The same command purges the deployed edge (``--url https://shop.example``, ``--token`` or
``POPCACHE_ADMIN_TOKEN``) and ``popcache dev`` (whose development token is the default). It
prints what the edge says it purged; exit 1 when the edge refused, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import aiohttp

__all__ = ["DEV_ADMIN_TOKEN", "add_purge_command", "run_purge"]

DEV_ADMIN_TOKEN = "popcache-dev-admin-token"
"""The ``ADMIN_TOKEN`` ``popcache dev`` gives the edge when ``.dev.vars`` sets none."""
_DEFAULT_URL = "http://127.0.0.1:8787"
_SELECTORS = (("tag", "tags"), ("file", "files"), ("prefix", "prefixes"), ("host", "hosts"))
_OPTIONS = {field: f"--{option}" for option, field in _SELECTORS} | {
    "purge_everything": "--everything",
    "mode": "--soft",
}


def add_purge_command(commands: Any) -> None:
    purge = commands.add_parser("purge", help="purge the edge's caches by tag, URL, prefix, host")
    chosen = purge.add_mutually_exclusive_group(required=True)
    for option, field in _SELECTORS:
        chosen.add_argument(
            f"--{option}", dest=field, action="append", metavar=option.upper(), help=f"{field}"
        )
    chosen.add_argument("--everything", action="store_true", help="purge everything")
    purge.add_argument("--soft", action="store_true", help="mark stale instead of deleting")
    purge.add_argument("--url", default=_DEFAULT_URL, help=f"the edge (default {_DEFAULT_URL})")
    purge.add_argument(
        "--token", help="ADMIN_TOKEN (default: $POPCACHE_ADMIN_TOKEN, else popcache dev's)"
    )


def purge_body(args: argparse.Namespace) -> dict[str, object]:
    """The ``POST /_edge/purge`` body the options ask for."""
    body: dict[str, object] = {"mode": "soft" if args.soft else "hard"}
    if args.everything:
        body["purge_everything"] = True
    for _, field in _SELECTORS:
        if getattr(args, field):
            body[field] = getattr(args, field)
    return body


async def _send(url: str, token: str, body: dict[str, object]) -> tuple[int, Any]:
    timeout = aiohttp.ClientTimeout(total=30)
    target = f"{url.rstrip('/')}/_edge/purge"
    headers = {"authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(target, json=body, headers=headers) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


def run_purge(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("POPCACHE_ADMIN_TOKEN") or DEV_ADMIN_TOKEN
    try:
        status, answer = asyncio.run(_send(args.url, token, purge_body(args)))
    except (TimeoutError, OSError, aiohttp.ClientError, ValueError) as exc:
        print(f"popcache: cannot reach the edge at {args.url}: {exc}", file=sys.stderr)
        return 1
    if status != 200 or not isinstance(answer, dict):
        problem = answer if isinstance(answer, dict) else {}
        detail = problem.get("detail", answer)
        if status == 400:  # the options were wrong: say which, as for any bad usage
            field = str(problem.get("field", "")).partition("[")[0]
            option = _OPTIONS.get(field, field)
            print(f"popcache: {option}: {detail}", file=sys.stderr)
            return 2
        print(f"popcache: the edge refused the purge ({status}): {detail}", file=sys.stderr)
        return 1
    print(f"popcache: purged ({answer.get('mode')}, {answer.get('calls')} calls)", flush=True)
    print(json.dumps(answer, indent=2), flush=True)
    return 0
