"""Request bodies read within a limit of the emulator's choosing, not aiohttp's.

aiohttp refuses bodies over 1 MiB with a plain-text 413 of its own; the front door (Cloudflare's
100 MiB) and the purge API (its own small limit) each answer an oversized body in their own
format instead, so both read through here and turn ``TooLarge`` into their answer.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["TooLarge", "read_within"]

_CHUNK = 64 * 1024


class TooLarge(Exception):
    """The body went past the limit; nothing more of it was read."""


async def read_within(request: web.BaseRequest, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
