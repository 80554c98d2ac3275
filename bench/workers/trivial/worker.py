from workers import Request, Response, WorkerEntrypoint

BODY = "hello from the edge\n"


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> Response:
        return Response(BODY, headers={"content-type": "text/plain"})
