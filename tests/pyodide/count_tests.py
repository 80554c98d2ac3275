"""Under CPython: how many tests tests/unit/test_edge_*.py hold, and how many are coroutines.

Collects only (about two seconds) and prints one JSON line as its last line of stdout,
{"collected": N, "async_tests": M}: the Pyodide run must run exactly N tests and drive M
coroutine tests. "Coroutine test" is inside.is_coroutine_test, the rule the Pyodide plugin uses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from inside import is_coroutine_test  # noqa: E402  (needs the path above)


class Count:
    def __init__(self) -> None:
        self.collected = 0
        self.async_tests = 0

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.async_tests = sum(map(is_coroutine_test, session.items))


def main() -> int:
    files = sorted(
        f"tests/unit/{path.name}" for path in (REPO / "tests/unit").glob("test_edge_*.py")
    )
    count = Count()
    code = int(pytest.main(["--collect-only", "-qq", f"--rootdir={REPO}", *files], plugins=[count]))
    print(json.dumps({"collected": count.collected, "async_tests": count.async_tests}))
    return code


if __name__ == "__main__":
    sys.exit(main())
