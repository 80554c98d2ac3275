"""The demo origin: a local-commerce storefront API on SQLite, with knobs for latency and failure.

``popcache dev`` serves it so a fresh machine shows the whole system: seeded cities, stores,
products, stock, prices and pages, each response carrying the cache hints an edge classifies
by (``Cache-Control``, ``ETag``, ``Last-Modified``, ``Cache-Tag``). ``docs/origin.md`` lists
the endpoints; :func:`create_app` builds the application and :func:`start_origin` serves it.
"""

from .app import create_app, start_origin
from .knobs import Decision, Knobs, decide, parse_knobs

__all__ = ["Decision", "Knobs", "create_app", "decide", "parse_knobs", "start_origin"]
