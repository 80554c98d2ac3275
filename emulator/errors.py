"""The emulator's error tree; each error knows how it is shown.

PopcacheError
├── ConfigError    a file the user wrote is wrong: one line naming file and key, exit code 2
└── ProblemError   a client sent something wrong: a 4xx application/problem+json (RFC 9457)
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["ConfigError", "PopcacheError", "ProblemError"]

PROBLEM_JSON = "application/problem+json"


class PopcacheError(Exception):
    """Base of every error the emulator raises on purpose."""


class ConfigError(PopcacheError):
    """A configuration file is missing or wrong; ``str()`` is the one line the CLI prints."""

    def __init__(self, file: str | Path, problem: str, key: str | None = None) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        where = f"{self.file}: {key}: " if key else f"{self.file}: "
        super().__init__(where + problem)


class ProblemError(PopcacheError):
    """A client error answered as RFC 9457 problem details naming the offending field."""

    def __init__(self, status: int, title: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field

    def body(self) -> bytes:
        problem: dict[str, object] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            problem["field"] = self.field
        return json.dumps(problem).encode()
