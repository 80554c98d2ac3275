"""The two wrappers around every handler: problem details for errors, and the knobs.

``problems`` is outermost, so injected failures, unknown routes, bad input and bugs all leave
as ``application/problem+json`` without a traceback.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler

from emulator.errors import ProblemError

from .knobs import decide
from .respond import problem_response
from .state import STATE

__all__ = ["knobs", "problems"]

log = logging.getLogger(__name__)


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error as RFC 9457 problem details."""
    try:
        return await handler(request)
    except ProblemError as problem:
        return problem_response(problem)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        detail = f"{request.method} {request.path}: {exc.reason}"
        return problem_response(ProblemError(exc.status, exc.reason, detail), allow)
    except Exception:
        log.exception("origin handler failed: %s %s", request.method, request.path)
        return problem_response(
            ProblemError(500, "Internal Server Error", "the demo origin hit a bug; see its log")
        )


@web.middleware
async def knobs(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Delay and fail requests as the current knobs decide (see :mod:`.knobs`)."""
    state = request.app[STATE]
    decision = decide(state.knobs, request.path, state.rng)
    if decision.delay_ms:
        await state.sleep(decision.delay_ms / 1000)
    if decision.fail_status is None:
        return await handler(request)
    headers = {"Retry-After": str(decision.retry_after)} if decision.retry_after is not None else {}
    headers["Popcache-Injected"] = "fail_rate"
    status = HTTPStatus(decision.fail_status)
    detail = f"injected by the origin's knobs (fail_rate={state.knobs.fail_rate})"
    return problem_response(ProblemError(status.value, status.phrase, detail), headers)
