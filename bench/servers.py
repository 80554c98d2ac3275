"""What the sections measure: the configs and the command lines of the servers under test.

Each command takes the port to listen on (0: any); ``python -m emulator dev`` runs in the same
interpreter as the bench.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# The foundation benchmark's worker: a constant response, no origin, no cache.
TRIVIAL = HERE / "workers" / "trivial" / "wrangler.toml"
# The edge bundle: the caching proxy in front of the storefront origin.
EDGE = REPO / "wrangler.toml"
# An origin nobody listens on: the trivial worker never calls it.
NO_ORIGIN = "http://127.0.0.1:9"
# No request log: the benches measure serving; the log's own cost is in the README.
_DEV = [
    sys.executable,
    "-m",
    "emulator",
    "dev",
    "--in-memory",
    "--no-reload",
    "--log-format",
    "none",
]


def bare(port: int, body: Path | None = None, content_type: str = "text/plain") -> list[str]:
    """The anchor: bare aiohttp answering the trivial worker's body, or ``body``'s bytes."""
    command = [sys.executable, "-m", "bench.bare", "--port", str(port)]
    if body is None:
        return command
    return [*command, "--body", str(body), "--content-type", content_type]


def trivial(port: int) -> list[str]:
    """The emulator running the trivial worker."""
    return [*_DEV, "-c", str(TRIVIAL), "--origin", NO_ORIGIN, "--port", str(port)]


def edge(port: int, origin_port: int, config: Path = EDGE) -> list[str]:
    """The emulator's default: the repository's edge bundle (``./wrangler.toml``, or a copy of
    it at ``config``) in front of the embedded demo origin."""
    return [*_DEV, "-c", str(config), "--port", str(port), "--origin-port", str(origin_port)]


def edge_before(port: int, origin: str, config: Path = EDGE) -> list[str]:
    """The emulator running the edge bundle (or a copy of it at ``config``) in front of the
    origin at the URL ``origin``."""
    return [*_DEV, "-c", str(config), "--port", str(port), "--origin", origin]


def counted_origin(port: int) -> list[str]:
    """The demo origin alone, counting the requests that reach it (bench/countedorigin.py)."""
    return [sys.executable, "-m", "bench.countedorigin", "--port", str(port)]
