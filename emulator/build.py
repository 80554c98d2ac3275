"""``popcache build``: vendor the bundle's Python packages into ``python_modules/``.

``wrangler deploy`` uploads a Python Worker's modules (the files of main's folder that its
rules match) and, as data modules, every file of ``python_modules/`` beside ``wrangler.toml``
(``*.pyc`` excluded); the runtime imports packages from there. ``pywrangler sync`` fills that
folder, but it needs uv, a Pyodide interpreter download and Pyodide's package index. This
fills it with pip alone, from exact pins in ``edge-requirements.txt`` beside ``wrangler.toml``
(one ``name==version`` a line, dependencies included), and only with platform-independent
wheels: ``--platform any --implementation py --abi none``, for the Python version the Workers
runtime runs at the config's compatibility date and flags.

Idempotent: when ``python_modules/`` already holds exactly what the pins, Python version and
pip options ask for (recorded in ``.popcache/build.json`` beside ``wrangler.toml``, and checked
against every file's hash in the wheels' ``RECORD``), nothing is done and nothing is fetched,
so a rebuild with nothing new works offline. Otherwise pip installs into a fresh folder that
then replaces ``python_modules/`` whole: a failed build leaves the previous one in place.

Every failure raises :class:`ConfigError`: one line naming the file, the requirement (or
``pip``) and the problem.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .tomlfile import read_toml
from .wrangler import PYTHON_FLAG_MESSAGE

__all__ = ["REQUIREMENTS_FILE", "SDK", "VENDOR_DIR", "Pin", "build", "python_version"]

REQUIREMENTS_FILE = "edge-requirements.txt"
VENDOR_DIR = "python_modules"
SDK = "workers-runtime-sdk"
STAMP = Path(".popcache") / "build.json"

# The Workers runtime's Python by compatibility flag or date, newest first (as pywrangler picks
# it); the base python_workers flag alone means 3.12.
_PYTHONS = (
    ("3.14", "python_workers_314", "2026-09-08"),
    ("3.13", "python_workers_20250116", "2025-09-29"),
)
_BASE_PYTHON = "3.12"

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*==\s*"
    r"(?P<version>[A-Za-z0-9](?:[A-Za-z0-9.+!_-]*[A-Za-z0-9])?)$"
)
_OFFLINE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
)


@dataclass(frozen=True)
class Pin:
    """One ``name==version`` line of the requirements file."""

    name: str
    version: str
    line: int

    @property
    def key(self) -> str:
        return canonical(self.name)

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> tuple[Pin, ...]:
    """The exact pins of ``path``; anything else is a ConfigError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            path,
            f"file not found (pin the bundle's packages there, one name==version a line, "
            f"{SDK} among them)",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot be read: {exc}") from None
    pins: dict[str, Pin] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        where = f"line {number}"
        if line.startswith("-"):
            raise ConfigError(
                path, f"{line!r}: pip options are not allowed (popcache build sets them)", where
            )
        match = _PIN.match(line)
        if match is None:
            raise ConfigError(path, f"{line!r} is not an exact pin: write name==version", where)
        pin = Pin(match["name"], match["version"], number)
        if pin.key in pins:
            raise ConfigError(
                path, f"{pin.name} is pinned twice (first on line {pins[pin.key].line})", where
            )
        pins[pin.key] = pin
    if canonical(SDK) not in pins:
        raise ConfigError(
            path, f"must pin {SDK} (the Workers SDK the bundle imports as `workers`)", SDK
        )
    return tuple(pins.values())


def python_version(config: Path, raw: dict[str, Any]) -> str:
    """The Workers runtime's Python version for this config's compatibility date and flags."""
    flags = raw.get("compatibility_flags", [])
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise ConfigError(config, "must be a list of strings", "compatibility_flags")
    if "python_workers" not in flags:
        raise ConfigError(config, PYTHON_FLAG_MESSAGE, "compatibility_flags")
    date = raw.get("compatibility_date")
    if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise ConfigError(
            config,
            "must be a date as YYYY-MM-DD (it sets the runtime's Python version)",
            "compatibility_date",
        )
    for version, flag, since in _PYTHONS:
        if flag in flags or date >= since:
            return version
    return _BASE_PYTHON


def pip_options(python: str) -> list[str]:
    """pip's options for the bundle: pure-Python wheels for the runtime's Python, as is."""
    return [
        "--only-binary=:all:",
        "--implementation",
        "py",
        "--abi",
        "none",
        "--platform",
        "any",
        "--python-version",
        python,
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
    ]


def build(config: Path, requirements: Path | None = None, *, force: bool = False) -> list[str]:
    """Fill ``python_modules/`` beside ``config``; the one or two lines to print."""
    raw = read_toml(config)
    python = python_version(config, raw)
    requirements = requirements or config.parent / REQUIREMENTS_FILE
    pins = read_requirements(requirements)
    root = config.parent
    vendor = root / VENDOR_DIR
    stamp_path = root / STAMP
    wanted = {
        "python": python,
        "requirements": sorted(str(pin) for pin in pins),
        "pip": pip_options(python),
    }
    pinned = ", ".join(str(pin) for pin in pins)
    if not force and _up_to_date(vendor, stamp_path, wanted):
        return [
            f"popcache build: {_shown(vendor)}/ is up to date ({pinned}; Python {python}); "
            "--force rebuilds it"
        ]
    if vendor.is_symlink() or (vendor.exists() and not vendor.is_dir()):
        raise ConfigError(vendor, "is not a folder popcache build can replace")
    stamp_path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=stamp_path.parent))
    try:
        target = staging / VENDOR_DIR
        _pip_install(target, python, pins, requirements)
        installed = _check_installed(target, pins, requirements)
        stamp_path.unlink(missing_ok=True)
        if vendor.exists():
            vendor.rename(staging / "previous")
        target.rename(vendor)
        stamp_path.write_text(
            json.dumps({**wanted, "installed": installed}, indent=2) + "\n", encoding="utf-8"
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [
        f"popcache build: installed {pinned} into {_shown(vendor)}/ "
        f"(pure-Python wheels for Python {python}, from {_shown(requirements)})",
        "popcache build: deploy with `npx wrangler deploy`; "
        "`npx wrangler deploy --dry-run --outdir dist` checks the bundle offline",
    ]


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _pip_install(target: Path, python: str, pins: tuple[Pin, ...], requirements: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        *pip_options(python),
        *(str(pin) for pin in pins),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise _pip_failure(result.stdout + result.stderr, result.returncode, requirements, python)


def _pip_failure(output: str, code: int, requirements: Path, python: str) -> ConfigError:
    """One line for what pip said: no network, a version it cannot find, or its last error."""
    if "No module named pip" in output:
        return ConfigError(
            sys.executable, "not installed for this Python (python -m ensurepip)", "pip"
        )
    if any(marker in output for marker in _OFFLINE):
        reason = re.search(r"\[Errno -?\d+\] ([^'\")]+)", output)
        detail = f": {reason[1].strip()}" if reason else ""
        return ConfigError(
            requirements, f"cannot reach the package index (offline?){detail}", "pip"
        )
    missing = re.search(r"No matching distribution found for (\S+)", output)
    if missing is not None:
        versions = re.search(r"\(from versions: ([^)]*)\)", output)
        listed = versions[1].split(", ") if versions and versions[1] != "none" else []
        found = (
            f"pip found only {'…, ' if len(listed) > 3 else ''}{', '.join(listed[-3:])}"
            if listed
            else "pip found no version at all: is the name right and the index reachable?"
        )
        return ConfigError(
            requirements,
            f"no platform-independent wheel of it for Python {python} ({found})",
            missing[1],
        )
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    last = errors[-1].removeprefix("ERROR:").strip() if errors else f"exited with {code}"
    return ConfigError(requirements, f"failed: {last}", "pip")


def _check_installed(target: Path, pins: tuple[Pin, ...], requirements: Path) -> list[str]:
    """The installed distributions' folders, once every one is pinned (no stray dependency)."""
    pinned = {pin.key for pin in pins}
    folders = sorted(path.name for path in target.glob("*.dist-info"))
    for folder in folders:
        name, _, version = folder.removesuffix(".dist-info").partition("-")
        if canonical(name) not in pinned:
            raise ConfigError(
                requirements,
                f"a pinned package depends on {name} {version}: pin it here "
                f"({name}=={version}) so the bundle is reproducible",
                canonical(name),
            )
    return folders


def _up_to_date(vendor: Path, stamp_path: Path, wanted: dict[str, Any]) -> bool:
    """Whether ``vendor`` holds exactly the recorded build of ``wanted``, byte for byte."""
    try:
        recorded = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(recorded, dict) or not vendor.is_dir() or vendor.is_symlink():
        return False
    installed = recorded.pop("installed", None)
    if recorded != wanted or installed != sorted(p.name for p in vendor.glob("*.dist-info")):
        return False
    return _intact(vendor)


def _intact(vendor: Path) -> bool:
    """Every file the wheels' ``RECORD`` lists is there with its hash, and no other file."""
    expected: dict[str, str] = {}
    for record in vendor.glob("*.dist-info/RECORD"):
        for row in csv.reader(record.read_text(encoding="utf-8").splitlines()):
            if row:
                expected[row[0]] = row[1] if len(row) > 1 else ""
    present = {
        path.relative_to(vendor).as_posix()
        for path in vendor.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    if present != set(expected):
        return False
    for name, digest in expected.items():
        if not digest:
            continue
        algorithm, _, encoded = digest.partition("=")
        try:
            actual = hashlib.new(algorithm, (vendor / name).read_bytes()).digest()
        except (OSError, ValueError):
            return False
        if base64.urlsafe_b64encode(actual).rstrip(b"=").decode() != encoded:
            return False
    return True
