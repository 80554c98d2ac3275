"""One fuzz target in this process, under atheris: ``python -m tests.fuzz.child <target>
[libFuzzer flags and corpus folders or input files]``.

atheris.Setup and atheris.Fuzz take the process over (libFuzzer exits it), hence a process per
target; tests/fuzz/runner.py starts them. The edge's modules and the emulator are imported
under atheris's import hook, so libFuzzer sees their branches.
"""

from __future__ import annotations

import sys

import atheris

from . import EDGE

INSTRUMENTED = sorted({path.stem for path in EDGE.glob("*.py")} | {"emulator"})


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m tests.fuzz.child <target> [libFuzzer arguments]")
    with atheris.instrument_imports(include=INSTRUMENTED):
        from .targets import load

        target = load(argv[1])
    atheris.Setup([argv[0], *argv[2:]], target.fuzz_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
