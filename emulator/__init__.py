"""popcache's emulator: runs unchanged Python Workers on several emulated points of presence.

The public surface is small: :class:`emulator.app.Emulator` assembles PoPs for one
``wrangler.toml``, ``popcache dev`` (:mod:`emulator.cli`) serves it, and the pytest plugin
(:mod:`emulator.pytest_plugin`) drives it from tests.
"""

__all__: list[str] = []
