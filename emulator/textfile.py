"""Reading a configuration file's text, with every failure a :class:`ConfigError` naming it."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

__all__ = ["read_text"]


def read_text(path: Path, kind: str) -> str:
    """The UTF-8 text of ``path``; ``kind`` names what it should be (``"a TOML file"``)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, f"is a directory, not {kind}") from None
    except PermissionError:
        raise ConfigError(path, "cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read ({exc.strerror or exc})") from None
