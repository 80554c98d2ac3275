"""``popcache``: the command line.

    popcache dev [-c wrangler.toml] [--port 8787] [--origin URL] [--persist-to DIR | --in-memory]
                 [--topology FILE] [--faults FILE] [--fault SPEC ...] [--fault-seed N]
                 [--no-reload] [--queue-duplicates RATE] [--purge-plan PLAN]
                 [--no-tiered-cache] [--log-format pretty|json|none]
                 [--max-cache-entries N] [--max-data-points N]
    popcache origin [--port 8788] [--db FILE] [--events-url URL --events-secret SECRET]
    popcache build [-c wrangler.toml] [-r edge-requirements.txt] [--force]
    popcache zones check FILE
    popcache zones which LAT LON [--zones FILE] [-c wrangler.toml] [--at RFC3339] [--cf JSON]
                                 [--persist-to DIR]
    popcache zones publish FILE [-c wrangler.toml] [--persist-to DIR]
    popcache purge (--tag T ... | --file URL ... | --prefix P ... | --host H ... | --everything)
                   [--soft] [--url URL] [--token TOKEN]
    popcache warm --promotion NAME [--dry-run] [--url URL] [-c wrangler.toml]
    popcache stats [--url URL] [--window N] [--json]

Any usage or configuration error prints one line naming the file (or option) and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from .datapoints import MAX_POINTS
from .errors import ConfigError, PopcacheError
from .modecli import add_mode_command, run_mode, set_mode
from .origin.modes import MODES
from .purgecli import add_purge_command, run_purge
from .purgelimit import PURGE_PLANS
from .requestlog import LOG_FORMATS, LineWriter
from .runtime.cachelimit import MAX_ENTRIES
from .statscli import add_stats_command, run_stats
from .warmcli import add_warm_command, run_warm
from .wrangler import WorkerConfig, load_config
from .zonescli import add_zones_command, run_zones

if TYPE_CHECKING:
    from .app import Emulator
    from .devwiring import DevWiring
    from .faults import Fault
    from .topology import Topology

__all__ = ["main"]

log = logging.getLogger("popcache")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"popcache: {message} (see {self.prog} --help)\n")


def _default_config() -> Path:
    """``./wrangler.toml`` if there is one, else this repository's (the edge bundle)."""
    here = Path("wrangler.toml")
    if here.is_file():
        return here
    embedded = Path(__file__).resolve().parent.parent / "wrangler.toml"
    if not embedded.is_file():
        raise ConfigError(here, "no wrangler.toml here; pass -c path/to/wrangler.toml")
    return embedded


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="popcache", description="Run Python Workers on emulated points of presence."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    dev = commands.add_parser("dev", help="run a Python Worker on emulated PoPs")
    dev.add_argument(
        "-c",
        "--config",
        type=Path,
        help="wrangler.toml (default: ./wrangler.toml, else the popcache edge bundle)",
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8787)
    dev.add_argument("--origin", help="origin URL (sets the ORIGIN var); default: the demo origin")
    dev.add_argument("--origin-port", type=int, default=8788, help="port of the demo origin")
    state = dev.add_mutually_exclusive_group()
    state.add_argument(
        "--persist-to",
        type=Path,
        default=Path(".popcache/state"),
        help="where KV and the demo origin's database live (default: %(default)s)",
    )
    state.add_argument("--in-memory", action="store_true", help="keep no state on disk")
    dev.add_argument("--topology", type=Path, help="TOML file of PoPs and client ranges")
    dev.add_argument(
        "--faults",
        type=Path,
        metavar="FILE",
        help="TOML file of [[fault]] tables: latency, errors, refused connections or broken "
        "bodies on the way to the origin",
    )
    dev.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="one more fault as key=value pairs, the keys of a [[fault]] table "
        "(e.g. 'path=/api/**,status=503,rate=0.5,pops=SFO+LHR'); repeatable",
    )
    dev.add_argument(
        "--fault-seed", type=int, metavar="N", help="seed the faults' draws (rate, jitter)"
    )
    dev.add_argument("--no-reload", action="store_true", help="do not reload on file changes")
    dev.add_argument(
        "--no-tiered-cache",
        action="store_true",
        help="no upper tier: each PoP's fetches to the origin go straight to it",
    )
    dev.add_argument(
        "--queue-duplicates",
        type=float,
        default=0.0,
        metavar="RATE",
        help="deliver this share (0..1) of acknowledged queue messages once more, as Queues' "
        "at-least-once delivery may (default: 0)",
    )
    dev.add_argument(
        "--origin-mode",
        choices=list(MODES),
        help="start the demo origin healthy (default), slow or overloaded "
        "(later: popcache origin-mode MODE)",
    )
    dev.add_argument(
        "--purge-plan",
        choices=list(PURGE_PLANS),
        default="pro",
        help="the Cloudflare plan whose purge rate limit the emulated purge API enforces "
        "(default: pro; none: no limit)",
    )
    dev.add_argument(
        "--log-format",
        choices=[*LOG_FORMATS, "none"],
        default=next(iter(LOG_FORMATS)),
        help="one line per request served, to stderr: pretty (default) or json; none for "
        "no request log (a load test's few percent)",
    )
    dev.add_argument(
        "--max-cache-entries",
        type=_count,
        default=MAX_ENTRIES,
        metavar="N",
        help="URLs each emulated cache (each PoP's caches, the upper tier) keeps at most; past "
        "it the expired go first, then the longest stored (default: %(default)s)",
    )
    dev.add_argument(
        "--max-data-points",
        type=_count,
        default=MAX_POINTS,
        metavar="N",
        help="Analytics Engine data points kept for stats and the dashboard, the oldest "
        "forgotten first (default: %(default)s)",
    )
    origin = commands.add_parser("origin", help="run the demo storefront origin alone")
    origin.add_argument("--host", default="127.0.0.1")
    origin.add_argument("--port", type=int, default=8788)
    origin.add_argument("--db", type=Path, default=Path(".popcache/state/origin.sqlite3"))
    origin.add_argument(
        "--events-url", help="the edge's /_edge/events, to send signed stock events to"
    )
    origin.add_argument("--events-secret", help="the EVENTS_SECRET to sign them with")
    build = commands.add_parser(
        "build", help="vendor the bundle's pinned Python packages into python_modules/"
    )
    build.add_argument(
        "-c",
        "--config",
        type=Path,
        help="wrangler.toml (default: ./wrangler.toml, else the popcache edge bundle)",
    )
    build.add_argument(
        "-r",
        "--requirements",
        type=Path,
        help="exact pins, one name==version a line (default: edge-requirements.txt beside "
        "wrangler.toml)",
    )
    build.add_argument(
        "--force", action="store_true", help="rebuild even when python_modules/ is up to date"
    )
    add_zones_command(commands)
    add_mode_command(commands)
    add_purge_command(commands)
    add_warm_command(commands)
    add_stats_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        if args.command == "build":
            from .build import build

            for line in build(
                args.config or _default_config(), args.requirements, force=args.force
            ):
                print(line)
            return 0
        if args.command == "zones":
            return run_zones(args, _default_config)
        if args.command == "origin-mode":
            return run_mode(args)
        if args.command == "purge":
            return run_purge(args)
        if args.command == "warm":
            return run_warm(args, _default_config)
        if args.command == "stats":
            return run_stats(args)
        if args.command == "dev":
            config = load_config(args.config or _default_config())
            for warning in config.warnings:
                print(f"popcache: warning: {warning}", file=sys.stderr)
            return asyncio.run(_dev(args, config))
        return asyncio.run(_origin(args))
    except PopcacheError as exc:
        print(f"popcache: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"popcache: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}",
            file=sys.stderr,
        )
        return 2


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM. Installed before the ready line is printed: a
    signal sent as soon as that line is read must stop the server, not interrupt start-up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def _dev(args: argparse.Namespace, config: WorkerConfig) -> int:
    from .app import Emulator
    from .topology import DEFAULT_TOPOLOGY, load_topology

    topology = load_topology(args.topology) if args.topology else DEFAULT_TOPOLOGY
    faults = _faults(args, topology)
    if args.origin is not None and urlsplit(args.origin).scheme not in ("http", "https"):
        raise ConfigError("--origin", f"{args.origin!r} is not an http(s) URL")
    persist = None if args.in_memory else args.persist_to
    if not 0.0 <= args.queue_duplicates <= 1.0:
        raise ConfigError("--queue-duplicates", "must be a rate from 0 to 1")
    wiring = _wiring(args, config)
    async with contextlib.AsyncExitStack() as stack:
        origin_url = args.origin
        if origin_url is None:
            from .origin import start_origin

            events_url = f"{_front_url(args)}/_edge/events" if wiring.events_secret else None
            try:
                runner, origin_url = await start_origin(
                    args.host,
                    args.origin_port,
                    persist / "origin.sqlite3" if persist else None,
                    events_url=events_url,
                    events_secret=wiring.events_secret,
                )
            except OSError as exc:
                raise ConfigError(
                    "--origin-port", _listen_error(args.host, args.origin_port, exc)
                ) from None
            stack.push_async_callback(runner.cleanup)
            if args.origin_mode is not None:
                await set_mode(origin_url, args.origin_mode)
        elif args.origin_mode is not None:
            raise ConfigError("--origin-mode", "only the demo origin has modes (drop --origin)")
        emulator = Emulator(
            config,
            topology=topology,
            persist_to=persist,
            origin=origin_url,
            faults=faults,
            rng=random.Random(args.fault_seed),
            queue_duplicates=args.queue_duplicates,
            purge=wiring.purge,
            overrides=wiring.overrides,
            tiered=False if args.no_tiered_cache else None,
            demo_origin=args.origin is None,
            log_format=None if args.log_format == "none" else args.log_format,
            log_to=LineWriter(sys.stderr),  # bare lines: a JSON line must be nothing but JSON
            max_cache_entries=args.max_cache_entries,
            max_data_points=args.max_data_points,
        )
        stack.push_async_callback(emulator.stop)
        try:
            url = await emulator.start(args.host, args.port)
        except OSError as exc:
            raise ConfigError("--port", _listen_error(args.host, args.port, exc)) from None
        await _serve(
            args,
            config,
            topology,
            emulator,
            url,
            f"{origin_url} (demo)" if args.origin is None else origin_url,
            wiring.filled,
        )
    print("popcache dev: stopped", flush=True)
    return 0


def _front_url(args: argparse.Namespace) -> str:
    return f"http://{args.host}:{args.port}"


def _wiring(args: argparse.Namespace, config: WorkerConfig) -> DevWiring:
    """Events and purges wired to this emulator (docs/events.md)."""
    from .devwiring import dev_wiring

    try:
        wiring = dev_wiring(config, _front_url(args), args.purge_plan)
    except ValueError as exc:
        raise ConfigError(config.path, str(exc), "vars.ZONE_ID") from None
    return wiring


def _faults(args: argparse.Namespace, topology: Topology) -> list[Fault]:
    """``--faults FILE``'s faults, then each ``--fault``'s, in order."""
    from .faultconfig import load_faults, parse_fault_option

    colos = [site.colo for site in topology.pops]
    faults = list(load_faults(args.faults, colos)) if args.faults else []
    faults += [parse_fault_option(text, colos) for text in args.fault]
    return faults


def _listen_error(host: str, port: int, exc: OSError) -> str:
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


async def _serve(
    args: argparse.Namespace,
    config: WorkerConfig,
    topology: Topology,
    emulator: Emulator,
    url: str,
    origin_note: str,
    filled: tuple[str, ...] = (),
) -> None:
    """Print the ready line, then serve (crons, reloads) until SIGINT or SIGTERM."""
    from .cron import run_crons
    from .reload import snapshot, watch

    def watched() -> list[Path]:
        return [config.root, config.path, config.path.parent / ".dev.vars"]

    files = snapshot(watched())
    stop = _stop_on_signals()
    pops = ", ".join(f"{site.colo} ({site.city})" for site in topology.pops)
    count = len(emulator.faults.faults)
    faults = f" · {count} fault{'s' if count > 1 else ''} injected" if count else ""
    print(
        f"popcache dev: ready on {url} · PoPs {pops} · origin {origin_note} · worker "
        f"{config.main}{faults}",
        flush=True,
    )
    if filled:
        print(
            f"popcache dev: development values for {', '.join(filled)} "
            f"(set them in {config.path.parent / '.dev.vars'} to choose your own)",
            flush=True,
        )

    def reload() -> None:
        try:
            emulator.reload(load_config(config.path))
        except Exception as exc:
            print(
                f"popcache: reload failed, still serving the previous version: {exc}",
                file=sys.stderr,
                flush=True,
            )
        else:
            print("popcache dev: reloaded", flush=True)

    async def fire(cron: str, time_ms: float) -> None:
        await emulator.scheduled(cron, time_ms=time_ms)

    background = [asyncio.ensure_future(run_crons(config.crons, emulator.clock, fire))]
    if not args.no_reload:
        background.append(asyncio.ensure_future(watch(watched, reload, files)))
    try:
        await stop.wait()
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _origin(args: argparse.Namespace) -> int:
    from .origin import start_origin

    if (args.events_url is None) != (args.events_secret is None):
        raise ConfigError("--events-url", "give --events-url and --events-secret together")
    if args.events_url is not None and urlsplit(args.events_url).scheme not in ("http", "https"):
        raise ConfigError("--events-url", f"{args.events_url!r} is not an http(s) URL")
    runner, url = await start_origin(
        args.host,
        args.port,
        args.db,
        events_url=args.events_url,
        events_secret=args.events_secret,
    )
    stop = _stop_on_signals()
    print(f"popcache origin: ready on {url}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0
