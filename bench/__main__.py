"""``python -m bench``: the emulator's throughput next to bare aiohttp, and its start-up time.

Both servers run as separate processes in one run, measured in alternating rounds with wrk on
loopback (server pinned to CPU 0, wrk to CPU 1 when taskset is there), so the ratio holds even
on a noisy machine. When valgrind is installed, each server also runs under callgrind for a
fixed number of requests: instructions per request do not depend on what else the machine is
doing, so that ratio is repeatable to the percent. Prints a Markdown table; exit code 2 if wrk
is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRIVIAL = HERE / "workers" / "trivial" / "wrangler.toml"
# An origin nobody listens on: the trivial worker never calls it.
NO_ORIGIN = "http://127.0.0.1:9"
TARGET_RATIO = 0.70


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


@contextmanager
def server(command: list[str], ready: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        pinned(0, command), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if ready not in line:
            raise SystemExit(f"bench: {command[2]} did not start: {line!r}")
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


def instructions_per_request(command: list[str], port: int, count: int = 2000) -> float:
    """Instructions the server executes per request, counted by callgrind (noise-free)."""
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
    url = f"http://127.0.0.1:{port}/"
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
    for path in glob.glob(out + "*"):
        text = Path(path).read_text()
        totals += [int(m) for m in re.findall(r"^totals: (\d+)", text, re.MULTILINE)]
        os.unlink(path)
    return max(totals) / count


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.rps for s in samples),
        statistics.median(s.p50_ms for s in samples),
        statistics.median(s.p99_ms for s in samples),
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="length of one wrk round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-callgrind", action="store_true", help="skip instruction counts")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    python = sys.executable
    bare_port, emulator_port = free_port(), free_port()
    emulator = [
        python,
        "-m",
        "emulator",
        "dev",
        "-c",
        str(TRIVIAL),
        "--in-memory",
        "--origin",
        NO_ORIGIN,
        "--no-reload",
    ]
    results: dict[str, list[Sample]] = {"bare aiohttp": [], "popcache emulator": []}
    with (
        server([python, str(HERE / "bare.py"), "--port", str(bare_port)], "ready"),
        server([*emulator, "--port", str(emulator_port)], "ready"),
    ):
        urls = {
            "bare aiohttp": f"http://127.0.0.1:{bare_port}/",
            "popcache emulator": f"http://127.0.0.1:{emulator_port}/",
        }
        for url in urls.values():
            wrk(url, 2, args.connections)  # warm-up
        for _ in range(args.rounds):
            for name, url in urls.items():
                results[name].append(wrk(url, args.seconds, args.connections))
    bare, emu = median(results["bare aiohttp"]), median(results["popcache emulator"])
    # Rounds run back to back, so each round's ratio shares that moment's machine noise.
    ratio = statistics.median(
        e.rps / b.rps
        for b, e in zip(results["bare aiohttp"], results["popcache emulator"], strict=True)
    )
    instructions: dict[str, float] = {}
    if shutil.which("valgrind") and not args.no_callgrind:
        port = free_port()
        instructions["bare aiohttp"] = instructions_per_request(
            [python, str(HERE / "bare.py"), "--port", str(port)], port
        )
        instructions["popcache emulator"] = instructions_per_request(
            [*emulator, "--port", str(port)], port
        )
    ready_trivial = start_to_ready([*emulator, "--port", "0"], 5)
    ready_default = start_to_ready(
        [
            python,
            "-m",
            "emulator",
            "dev",
            "--in-memory",
            "--port",
            "0",
            "--origin-port",
            "0",
            "--no-reload",
        ],
        5,
    )
    print(
        f"Trivial Python Worker, {args.rounds} alternating rounds of {args.seconds} s, "
        f"wrk -t1 -c{args.connections}; medians, the ratio is the median of per-round "
        f"ratios:\n"
    )
    print(
        "| target | requests/s | p50 ms | p99 ms | ratio to bare aiohttp "
        "| instructions/request | instruction ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, sample, share in (("bare aiohttp", bare, 1.0), ("popcache emulator", emu, ratio)):
        counted = instructions.get(name)
        counts = (
            f"{counted:,.0f} | {instructions['bare aiohttp'] / counted:.2f}"
            if counted
            else "not measured | not measured"
        )
        print(
            f"| {name} | {sample.rps:,.0f} | {sample.p50_ms:.2f} | {sample.p99_ms:.2f} | "
            f"{share:.2f} | {counts} |"
        )
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"\nEmulator keeps {ratio:.0%} of bare aiohttp's throughput ({verdict} the "
        f"{TARGET_RATIO:.0%} target)."
    )
    print(
        f"popcache dev start-to-ready (median of 5): trivial worker {ready_trivial:.2f} s; "
        f"embedded default with demo origin {ready_default:.2f} s."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
