"""The request log: one line per request, the data point's fields, safe whatever the path."""

import asyncio
import io
import json
import logging

import aiohttp
import pytest
from pointworker import running

from emulator.datapoints import DataPoint
from emulator.requestlog import LOG_FORMATS, LineWriter, Seen, log_fields

FIELDS = {
    "time", "pop", "zone", "class", "cache", "method", "path", "status", "origin_status",
    "origin_ms", "bytes", "duration_ms", "backpressure",
}  # fmt: skip
SEEN = Seen("SFO", "GET", "/x", 200, 12, 3.25)
POINT = DataPoint(
    5.0,
    "popcache",
    "SFO",
    ("request", "LHR", "north", "product", "miss", "GET"),
    (200.0, 200.0, 40.0, 512.0, 45.0, 2.0, 1.0),
    "LHR",
)


async def served_lines(tmp_path, caplog, *paths, log_format="json"):
    caplog.set_level(logging.INFO, logger="popcache.requests")
    async with (
        running(tmp_path, log_format=log_format) as emulator,
        aiohttp.ClientSession(emulator.url) as session,
    ):
        for path in paths:
            async with session.get(path, headers={"X-Popcache-Pop": "LHR"}) as reply:
                await reply.read()
    return [record.getMessage() for record in caplog.records if record.name == "popcache.requests"]


def test_a_line_takes_the_data_points_fields_and_the_path():
    fields = log_fields(5.0, POINT, SEEN)
    assert fields.keys() == FIELDS
    assert (fields["pop"], fields["cache"], fields["origin_ms"], fields["path"]) == (
        "LHR",
        "miss",
        40.0,
        "/x",
    )


def test_without_a_point_a_line_says_what_the_front_door_saw():
    fields = log_fields(5.0, None, SEEN)
    assert (fields["pop"], fields["status"], fields["bytes"], fields["cache"]) == (
        "SFO",
        200,
        12,
        None,
    )


@pytest.mark.parametrize("path", ["/a\nb", "/\x1b[31mred", "/\udcff", '/"quoted"\\'])
def test_a_json_line_is_json_whatever_the_path(path):
    line = LOG_FORMATS["json"](log_fields(5.0, POINT, SEEN._replace(path=path)))
    assert "\n" not in line
    assert json.loads(line)["path"] == path


def test_a_pretty_line_escapes_control_characters():
    line = LOG_FORMATS["pretty"](log_fields(5.0, None, SEEN._replace(path="/a\nb\x1b")))
    assert "\n" not in line
    assert "\x1b" not in line
    assert "/a\\nb\\x1b" in line


async def test_each_request_served_is_one_json_line_with_its_point(tmp_path, caplog):
    lines = await served_lines(tmp_path, caplog, "/p?cache=miss&zone=north", "/silent")
    first, second = map(json.loads, lines)
    assert (first["pop"], first["zone"], first["cache"], first["origin_status"]) == (
        "LHR",
        "north",
        "miss",
        200,
    )
    assert (second["pop"], second["path"], second["cache"], second["bytes"]) == (
        "LHR",
        "/silent",
        None,
        5,
    )


async def test_emulator_endpoints_are_not_logged(tmp_path, caplog):
    assert await served_lines(tmp_path, caplog, "/cdn-cgi/popcache/stats") == []


async def test_no_request_log_unless_asked(tmp_path, caplog):
    assert await served_lines(tmp_path, caplog, "/p", log_format=None) == []


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_a_line_written_outside_an_event_loop_is_flushed_at_once() -> None:
    stream = _CountingStream()
    LineWriter(stream)("a line")
    assert (stream.getvalue(), stream.flushes) == ("a line\n", 1)


async def test_lines_written_in_a_loop_are_flushed_once_shortly_after() -> None:
    stream = _CountingStream()
    write = LineWriter(stream)
    for n in range(100):
        write(f"line {n}")
    assert stream.flushes == 0
    await asyncio.sleep(LineWriter.FLUSH_SECONDS * 2)
    assert stream.flushes == 1
    assert stream.getvalue().count("\n") == 100
