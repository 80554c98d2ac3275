"""The anchor: a bare aiohttp low-level server answering the trivial worker's body."""

import argparse
import asyncio

from aiohttp import web

BODY = b"hello from the edge\n"


async def handle(request: web.BaseRequest) -> web.Response:
    return web.Response(body=BODY, headers={"content-type": "text/plain"})


async def serve(port: int) -> None:
    runner = web.ServerRunner(web.Server(handle))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"bare aiohttp: ready on http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
