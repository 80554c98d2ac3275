# Types of the `js` globals edge code uses: the emulator's stand-ins mirror the runtime's.
from emulator.runtime.cache import CacheStorage

caches: CacheStorage

class Date:
    @staticmethod
    def now() -> float: ...

class console:
    @staticmethod
    def warn(*args: object) -> None: ...
    @staticmethod
    def error(*args: object) -> None: ...
