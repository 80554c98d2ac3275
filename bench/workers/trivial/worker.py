from workers import Response, WorkerEntrypoint

BODY = "hello from the edge\n"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(BODY, headers={"content-type": "text/plain"})
