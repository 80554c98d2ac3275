"""The anchor: a bare aiohttp low-level server answering one body to every request, the
trivial worker's by default, or a file's (the anchors section serves the product page the
caches serve, so every contender sends the same bytes)."""

import argparse
import asyncio
from pathlib import Path

from aiohttp import web

from .loopback import serve_forever

BODY = b"hello from the edge\n"


async def serve(port: int, body: bytes, content_type: str) -> None:
    async def handle(request: web.BaseRequest) -> web.Response:
        return web.Response(body=body, headers={"content-type": content_type})

    await serve_forever(web.ServerRunner(web.Server(handle)), port, "bare aiohttp")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, help="answer this file's bytes (default: BODY)")
    parser.add_argument("--content-type", default="text/plain")
    args = parser.parse_args()
    body = BODY if args.body is None else args.body.read_bytes()
    asyncio.run(serve(args.port, body, args.content_type))
