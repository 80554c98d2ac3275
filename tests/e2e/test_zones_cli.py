"""`popcache zones check` and `popcache zones which` as a user runs them: output and exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.runtime.kv import KVStore

REPO = Path(__file__).resolve().parents[2]
NOON = "2026-05-02T12:00:00Z"
PY = 'main = "main.py"\ncompatibility_flags = ["python_workers"]\n'


def square(x: float, y: float, size: float = 1.0) -> list[list[list[float]]]:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def zone(zone_id: str, x: float, y: float, size: float = 1.0, **properties: object) -> dict:
    properties.setdefault("kind", "store")
    geometry = {"type": "Polygon", "coordinates": square(x, y, size)}
    return {"type": "Feature", "id": zone_id, "geometry": geometry, "properties": properties}


def zones_file(folder: Path, *features: object, name: str = "zones.geojson") -> Path:
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(["zones", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one line on stderr of a run that exits 2 (argparse's exit included)."""
    try:
        code = main(["zones", *args])
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    assert code == 2, out
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("popcache: ")
    return lines[0]


# zones check


def test_check_a_clean_file_prints_one_ok_line_and_exits_0(tmp_path, capsys):
    path = zones_file(tmp_path, zone("a", 0, 0), zone("b", 1, 0), zone("c", 0, 0, 2, kind="city"))
    code, out, err = run(capsys, "check", str(path))
    assert (code, err) == (0, [])
    assert out == [f"{path}: OK: 3 zones (2 store, 1 city), 0 with an active window, 0 circles"]


def test_check_prints_every_finding_then_a_count_and_exits_1(tmp_path, capsys):
    bad = zone("bad", 5, 5)
    del bad["id"]
    path = zones_file(tmp_path, zone("a", 0, 0), zone("b", 0.5, 0.5), bad)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert out == [
        f"{path}: invalid: feature 3: key 'id': missing (the Feature's id or properties.id)",
        f"{path}: overlap: zones 'a' and 'b' (level zone, priority 0) overlap near lat 0.50000, "
        "lon 1.00000 while both are active (always); the lookup picks 'a', the smaller id",
        f"{path}: 2 findings (1 invalid, 1 overlap) in 2 zones (2 store), 0 with an active "
        "window, 0 circles",
    ]


def test_check_a_file_that_is_not_json_reports_it_and_exits_1(tmp_path, capsys):
    path = tmp_path / "zones.geojson"
    path.write_text("{")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert out[0].startswith(f"{path}: invalid: not JSON: ")


def test_check_a_missing_file_is_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "nope.geojson"
    assert fails(capsys, "check", str(path)) == f"popcache: {path}: file not found"


def test_check_a_directory_is_one_line_and_exits_2(tmp_path, capsys):
    line = fails(capsys, "check", str(tmp_path))
    assert line == f"popcache: {tmp_path}: is a directory, not a GeoJSON file"


def test_check_a_file_that_is_not_utf8_is_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "zones.geojson"
    path.write_bytes(b"\xff\xfe{")
    assert fails(capsys, "check", str(path)) == f"popcache: {path}: is not UTF-8 text"


def test_the_bundled_zones_file_is_clean(capsys):
    code, out, _ = run(capsys, "check", str(REPO / "edge" / "zones.geojson"))
    assert code == 0, out


# zones which


def shops(tmp_path: Path) -> Path:
    """A city with a store, a pop-up open on 2 May and one that closed on 1 May."""
    return zones_file(
        tmp_path,
        zone("paris", 0, 0, 4, kind="city"),
        zone("store-1", 0, 0, 2, priority=1),
        zone("store-2", 0, 0, 2),
        zone(
            "popup-new",
            0.5,
            0.5,
            kind="popup",
            priority=5,
            starts_at="2026-05-03T00:00:00Z",
        ),
        zone("popup-old", 0.5, 0.5, kind="popup", priority=9, ends_at="2026-05-01T00:00:00Z"),
    )


def test_which_prints_the_zone_per_level_and_why_every_containing_zone_was_or_was_not_chosen(
    tmp_path, capsys
):
    path = shops(tmp_path)
    code, out, err = run(capsys, "which", "1", "1", "--zones", str(path), "--at", NOON)
    assert (code, err) == (0, [])
    assert out[: out.index("ladder (request.cf: none; give them with --cf):")] == [
        f"zones: {path} (5 zones)",
        f"point: lat 1.00000, lon 1.00000 at {NOON}",
        "zone: store-1 (store, priority 1, always)",
        "city: paris (city, priority 0, always)",
        "why:",
        "  popup-old  popup  priority 9  until 2026-05-01T00:00:00Z  ended at 2026-05-01T00:00:00Z",
        "  popup-new  popup  priority 5  from 2026-05-03T00:00:00Z   "
        "not active until 2026-05-03T00:00:00Z",
        "  store-1    store  priority 1  always                      chosen",
        "  store-2    store  priority 0  always                      outranked by store-1",
        "  paris      city   priority 0  always                      chosen",
    ]


def test_which_resolves_at_the_time_given(tmp_path, capsys):
    path = shops(tmp_path)
    _, out, _ = run(capsys, "which", "1", "1", "--zones", str(path), "--at", "2026-05-03T00:00:00Z")
    assert out[2] == "zone: popup-new (popup, priority 5, from 2026-05-03T00:00:00Z)"
    assert (
        "  store-1    store  priority 1  always                      outranked by popup-new" in out
    )


def test_which_a_point_outside_every_zone(tmp_path, capsys):
    path = shops(tmp_path)
    _, out, _ = run(capsys, "which", "50", "50", "--zones", str(path), "--at", NOON)
    assert out[2:5] == ["zone: none", "city: none", "why: no zone contains the point"]


def test_which_prints_the_rung_each_class_takes_from_the_zones_and_request_cf(tmp_path, capsys):
    path = shops(tmp_path)
    cf = '{"country": "FR", "regionCode": "IDF"}'
    _, out, _ = run(capsys, "which", "1", "1", "--zones", str(path), "--at", NOON, "--cf", cf)
    ladder = out[out.index("ladder (request.cf: country FR, regionCode IDF):") + 1 :]
    assert ladder[:5] == [
        "  class hot             zone..global     store-1 (zone)",
        "  class warm            city..global     paris (city)",
        "  class cold            global..global   global (global)",
        "  class bypass          zone..global     store-1 (zone)",
        "  class origin          global..global   global (global)",
    ]


def test_which_refuses_cf_that_is_not_a_json_object(tmp_path, capsys):
    code, _, err = run(capsys, "which", "1", "1", "--zones", str(shops(tmp_path)), "--cf", "[1]")
    assert (code, err) == (
        2,
        ["popcache: --cf: expected a JSON object of request.cf fields, got '[1]'"],
    )


@pytest.mark.parametrize("lon", ["-122.4", "-122", "-.5", "-0.5"])
def test_which_takes_negative_coordinates_as_positionals(tmp_path, capsys, lon):
    path = zones_file(tmp_path, zone("south-west", -123, -34, 123))
    code, out, _ = run(capsys, "which", "-33.9", lon, "--zones", str(path), "--at", NOON)
    assert code == 0
    assert out[1:3] == [
        f"point: lat -33.90000, lon {float(lon):.5f} at {NOON}",
        "zone: south-west (store, priority 0, always)",
    ]


def test_which_defaults_to_the_zones_file_beside_the_workers_main(tmp_path, capsys):
    (tmp_path / "main.py").write_text("")
    (tmp_path / "wrangler.toml").write_text(PY)
    path = zones_file(tmp_path, zone("here", 0, 0))
    _, out, _ = run(capsys, "which", "0.5", "0.5", "-c", str(tmp_path / "wrangler.toml"))
    assert out[0] == f"zones: {path} (1 zone)"
    assert out[2] == "zone: here (store, priority 0, always)"


def test_which_follows_the_zones_file_routes_toml_names(tmp_path, capsys):
    (tmp_path / "main.py").write_text("")
    (tmp_path / "wrangler.toml").write_text(PY)
    (tmp_path / "routes.toml").write_text('[zones]\nfile = "stores.geojson"\n')
    path = zones_file(tmp_path, zone("there", 0, 0), name="stores.geojson")
    _, out, _ = run(capsys, "which", "0.5", "0.5", "-c", str(tmp_path / "wrangler.toml"))
    assert out[0] == f"zones: {path} (1 zone)"


def test_which_without_a_zones_file_in_the_bundle_finds_no_zone(tmp_path, capsys):
    (tmp_path / "main.py").write_text("")
    (tmp_path / "wrangler.toml").write_text(PY)
    code, out, _ = run(capsys, "which", "0", "0", "-c", str(tmp_path / "wrangler.toml"))
    assert code == 0
    assert out[0] == f"zones: none ({tmp_path / 'zones.geojson'} does not exist)"
    assert out[2:4] == ["zone: none", "city: none"]


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        ("north", "0", "LAT: expected a latitude from -90 to 90, got 'north'"),
        ("90.5", "0", "LAT: expected a latitude from -90 to 90, got '90.5'"),
        ("nan", "0", "LAT: expected a latitude from -90 to 90, got 'nan'"),
        ("0", "181", "LON: expected a longitude from -180 to 180, got '181'"),
        ("0", "1e999", "LON: expected a longitude from -180 to 180, got '1e999'"),
        ("0", "", "LON: expected a longitude from -180 to 180, got ''"),
        ("0", "1_0", "LON: expected a longitude from -180 to 180, got '1_0'"),
    ],
)
def test_which_refuses_a_coordinate_that_is_no_number_in_range(tmp_path, capsys, lat, lon, message):
    path = shops(tmp_path)
    assert fails(capsys, "which", lat, lon, "--zones", str(path)) == f"popcache: {message}"


def test_which_refuses_a_time_that_is_not_rfc3339(tmp_path, capsys):
    line = fails(capsys, "which", "0", "0", "--zones", str(shops(tmp_path)), "--at", "2026-05-02")
    assert line == (
        "popcache: --at: expected an RFC 3339 time such as 2026-05-01T12:00:00Z, got '2026-05-02'"
    )


def test_which_with_a_zones_file_that_does_not_load_is_one_line(tmp_path, capsys):
    path = zones_file(tmp_path, zone("a", 0, 0, kind="shop"))
    line = fails(capsys, "which", "0", "0", "--zones", str(path))
    assert line.startswith(f"popcache: {path}: zone 'a': key 'kind': expected one of")
    assert line.endswith("(popcache zones check lists every problem)")


def test_which_with_a_missing_zones_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "nope.geojson"
    assert fails(capsys, "which", "0", "0", "--zones", str(path)) == (
        f"popcache: {path}: file not found"
    )


def test_which_needs_both_coordinates(capsys):
    line = fails(capsys, "which", "0")
    assert line == (
        "popcache: the following arguments are required: LON (see popcache zones which --help)"
    )


def test_the_command_runs_outside_pytest_with_the_bundles_own_zones(tmp_path):
    """A fresh interpreter (no pytest pythonpath) finds the edge modules and the repo's bundle."""
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "zones", "which", "37.7567", "-122.4187", "--at", NOON],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "zone: sf-mission (store, priority 12, always)" in done.stdout.splitlines()


# zones publish


def publish_args(path: Path, state: Path) -> tuple[str, ...]:
    return ("publish", str(path), "-c", str(REPO / "wrangler.toml"), "--persist-to", str(state))


def test_publish_stores_the_file_under_the_zones_kv_key_of_the_bundle(tmp_path, capsys):
    path = zones_file(tmp_path, zone("popup-1", 0, 0, kind="popup"), name="popups.geojson")
    code, out, _ = run(capsys, *publish_args(path, tmp_path / "state"))
    assert code == 0
    assert out == [
        f"published 1 zone to KV ZONES/zones in {tmp_path / 'state'}; running isolates pick "
        "them up within 30 s"
    ]
    store = KVStore(tmp_path / "state" / "kv.sqlite3")
    stored = store.read("popcache-zones", b"zones", 0.0)
    store.close()
    assert stored is not None
    assert stored[0] == path.read_bytes()


def test_publish_refuses_a_file_the_worker_would_refuse_and_stores_nothing(tmp_path, capsys):
    path = zones_file(tmp_path, zone("Bad Id", 0, 0), name="popups.geojson")
    line = fails(capsys, *publish_args(path, tmp_path / "state"))
    assert line.startswith(f"popcache: {path}: ")
    assert "'Bad Id'" in line
    assert not (tmp_path / "state").exists()


async def test_a_published_popup_reaches_a_running_emulator_within_the_refresh_interval(
    tmp_path, popcache_emulator, capsys
):
    edge = await popcache_emulator(
        REPO / "wrangler.toml", origin="http://127.0.0.1:9", persist_to=tmp_path
    )
    popup = {
        "type": "Feature",
        "id": "mission-popup",
        "geometry": {"type": "Point", "coordinates": [-122.4187, 37.7567]},
        "properties": {"kind": "popup", "radius_m": 200, "priority": 50},
    }
    path = zones_file(tmp_path, popup, name="popups.geojson")
    mission = edge.client(geo=(37.7567, -122.4187), pop="SFO")
    headers = {"Popcache-Debug": "1"}
    async with mission.get("/api/inventory/X", headers=headers) as response:
        assert "/sf-mission/" in response.headers["Cache-Status"]
    assert run(capsys, "publish", str(path), "--persist-to", str(tmp_path))[0] == 0
    edge.clock.advance(30)
    async with mission.get("/api/inventory/X", headers=headers):
        pass  # finds the copy due: re-reads KV in the background
    await edge.drain()
    async with mission.get("/api/inventory/X", headers=headers) as response:
        assert "/mission-popup/" in response.headers["Cache-Status"]


# popcache dev with the bundle's zones


async def test_dev_with_a_malformed_static_zones_file_stops_with_one_line_naming_it(tmp_path):
    shutil.copytree(REPO / "edge", tmp_path / "edge", ignore=shutil.ignore_patterns("__*"))
    shutil.copy(REPO / "wrangler.toml", tmp_path / "wrangler.toml")
    zones_file(tmp_path / "edge", zone("sf-mission", 0, 0, kind="shop"))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "dev",
        "-c",
        str(tmp_path / "wrangler.toml"),
        "--in-memory",
        "--port",
        "0",
        "--origin",
        "http://127.0.0.1:9",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines() == [
        f"popcache: {tmp_path / 'edge' / 'entry.py'}: importing the worker raised ZoneError: "
        "edge/zones.geojson: zone 'sf-mission': key 'kind': expected one of store, popup, "
        "event or city, got 'shop'"
    ]


def test_which_with_persist_to_adds_the_published_dynamic_zones(tmp_path, capsys):
    popup = zone("popup-1", 1, 1, 0.5, kind="popup", priority=5)
    path = zones_file(tmp_path, popup, name="popups.geojson")
    state = str(tmp_path / "state")
    assert run(capsys, "publish", str(path), "--persist-to", state)[0] == 0
    _, out, _ = run(
        capsys, "which", "1.2", "1.2", "--zones", str(shops(tmp_path)), "--persist-to", state
    )
    assert f"kv: KV ZONES/zones in {state} (1 zone)" in out
    assert out[3] == "zone: popup-1 (popup, priority 5, always)"


def test_which_with_persist_to_says_when_nothing_is_published(tmp_path, capsys):
    _, out, _ = run(
        capsys, "which", "1", "1", "--zones", str(shops(tmp_path)), "--persist-to", str(tmp_path)
    )
    assert f"kv: none (KV ZONES/zones is not set in {tmp_path})" in out
