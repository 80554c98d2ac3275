"""`popcache dev` killed with SIGKILL while events wait on the queue loses none of them: they
are in SQLite before `/_edge/events` answers 202, and the next start delivers and purges them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from signature import sign

from emulator.devwiring import DEV_EVENTS_SECRET

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(state: Path, port: int) -> subprocess.Popen[bytes]:
    log = state / f"dev-{time.monotonic_ns()}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "emulator",
                "dev",
                "--port",
                str(port),
                "--origin-port",
                str(free_port()),
                "--persist-to",
                str(state),
                "--no-reload",
            ],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        if b"ready on" in log.read_bytes():
            return process
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"popcache dev did not start: {log.read_text()}")


def post_events(port: int, count: int) -> None:
    events = [
        {"event_id": f"kill-{n}", "type": "inventory.changed", "sku": f"K{n}", "store_id": "s1"}
        | {"ts": time.time()}
        for n in range(count)
    ]
    body = json.dumps(events).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_edge/events",
        data=body,
        headers={"Popcache-Signature": sign(body, [DEV_EVENTS_SECRET], int(time.time()))},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 202


def purged_tags(port: int) -> set[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/cdn-cgi/popcache/purges") as reply:
        return {tag.lower() for purge in json.load(reply)["purges"] for tag in purge["values"]}


def test_events_queued_before_a_sigkill_are_purged_after_the_restart(tmp_path: Path) -> None:
    port = free_port()
    first = start(tmp_path, port)
    try:
        post_events(port, 20)
        # Killed within the queue's 1 s batch window: nothing was delivered yet.
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert (tmp_path / "queues.sqlite3").is_file()
        second = start(tmp_path, port)
        try:
            wanted = {f"sku:k{n}@s1" for n in range(20)}
            deadline = time.monotonic() + 20
            while not wanted <= purged_tags(port) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert wanted <= purged_tags(port)
        finally:
            second.kill()
            second.wait(10)
    finally:
        first.kill()
        first.wait(10)
