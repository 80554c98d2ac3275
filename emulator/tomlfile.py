"""Reading a TOML configuration file, with every failure a :class:`ConfigError` naming it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .textfile import read_text

__all__ = ["read_toml"]


def read_toml(path: Path) -> dict[str, Any]:
    text = read_text(path, "a TOML file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML: {exc}") from None
