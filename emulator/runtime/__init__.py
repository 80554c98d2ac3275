"""Stand-ins for what the Workers runtime exposes to Python: the JS objects, the ``workers``
module, the ``js`` module, and the bindings (Cache API, KV)."""

__all__: list[str] = []
