"""popcache's edge Worker: the thin adapter between the Workers runtime and the policy core.

For now it forwards every request to the storefront origin named by the ``ORIGIN`` var.
"""

from upstream import forwarded_headers, origin_url
from workers import Request, Response, WorkerEntrypoint, fetch


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> Response:
        response = await fetch(
            origin_url(self.env.ORIGIN, request.url),
            method=request.method,
            headers=forwarded_headers(request.js_object.headers),
            body=request.body,
            redirect="manual",
        )
        return Response(response.js_object)
