"""The measuring tools every section shares: servers as pinned processes, wrk rounds, callgrind
instruction counts, start-to-ready times and the medians taken over them.

Servers run pinned to CPU 0 and wrk to CPU 1 (when taskset is there), so the two never fight
for one core; rounds alternate between the servers compared, so each round's ratio shares that
moment's machine noise.
"""

from __future__ import annotations

import asyncio
import glob
import http.client
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int, command: list[str]) -> list[str]:
    if shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *command]
    return command


def tool(name: str) -> str | None:
    """Where the program ``name`` is: on PATH, or in the sbin folders a user's PATH may lack
    (Debian installs nginx in /usr/sbin)."""
    return shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")


_BEFORE_READY = 2  # lines a server may print before its ready line


@contextmanager
def server(command: list[str], ready: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        pinned(0, command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        # Some servers (nginx) say a line or two before the one that means they listen.
        said = ""
        for _ in range(_BEFORE_READY + 1):
            line = process.stdout.readline()
            said += line
            if ready in line or not line:
                break
        if ready not in said:
            raise SystemExit(f"bench: {shlex.join(command)} did not start: {said!r}")
        yield process
    finally:
        process.terminate()
        process.wait(10)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, f"unexpected wrk latency {text!r}"
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, connections: int) -> Sample:
    out = subprocess.run(
        pinned(1, ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
    return Sample(rps, _ms(p50), _ms(p99))


def alternating(
    urls: dict[str, str], rounds: int, seconds: int, connections: int
) -> dict[str, list[Sample]]:
    """One wrk warm-up per URL, then ``rounds`` rounds that take the URLs in turn."""
    for url in urls.values():
        wrk(url, 2, connections)
    results: dict[str, list[Sample]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            results[name].append(wrk(url, seconds, connections))
    return results


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.rps for s in samples),
        statistics.median(s.p50_ms for s in samples),
        statistics.median(s.p99_ms for s in samples),
    )


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of per-round ratios: each pair was measured back to back."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def start_to_ready(command: list[str], runs: int) -> float:
    """Median seconds from process start to the ready line."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert process.stdout is not None
        process.stdout.readline()
        times.append(time.perf_counter() - started)
        process.terminate()
        process.wait(10)
    return statistics.median(times)


def cache_status(url: str, header: str = "cache-status") -> str:
    """GET ``url`` with nothing but a Host header, as wrk sends it (so the same cache variant);
    the response's Cache-Status (or the ``header`` a cache says hit or miss in, nginx's
    X-Cache-Status), "" when there is none."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.putrequest("GET", parts.path or "/", skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.getheader(header) or ""
    finally:
        connection.close()


async def _requests(url: str, count: int, connections: int = 8) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def client(share: int) -> None:
            for _ in range(share):
                async with session.get(url) as response:
                    await response.read()

        await asyncio.gather(*(client(count // connections) for _ in range(connections)))


def _answers(url: str) -> bool:
    try:
        asyncio.run(_requests(url, 1, 1))
    except OSError:
        return False
    return True


def instructions_per_request(
    command: list[str], port: int, path: str = "/", count: int = 2000
) -> float:
    """Instructions the server executes per request for ``path``, counted by callgrind
    (noise-free). The requests before counting starts warm the server (and fill its cache)."""
    out = f"/tmp/popcache-bench-callgrind.{os.getpid()}.{port}"
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            *command,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}{path}"
    try:
        deadline = time.monotonic() + 180
        while not _answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"bench: {command[1]} did not start under callgrind")
            time.sleep(1)
        asyncio.run(_requests(url, 200))  # warm-up, not counted
        control = ["callgrind_control"]
        subprocess.run([*control, "-i", "on", str(process.pid)], check=True, capture_output=True)
        asyncio.run(_requests(url, count))
        subprocess.run([*control, "-i", "off", str(process.pid)], check=True, capture_output=True)
        subprocess.run([*control, "-d", str(process.pid)], check=True, capture_output=True)
    finally:
        process.terminate()
        process.wait(60)
    totals = []
    for path_out in glob.glob(out + "*"):
        text = Path(path_out).read_text()
        totals += [int(m) for m in re.findall(r"^totals: (\d+)", text, re.MULTILINE)]
        os.unlink(path_out)
    return max(totals) / count
