# Types of the `workers` module for mypy: the emulator's stand-in mirrors the real SDK.
from emulator.runtime.workers import *  # noqa: F403
from emulator.runtime.workers import __all__ as __all__
