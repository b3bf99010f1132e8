"""The reference policy's HTTP API: `POST /` takes the agent's request, answers its shares.

`GET /` says it is ready. A body that is not JSON, or not the agent's schema, gets
422 naming the problem.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from dfaas_policy.model import PolicyInputError, decide

MAX_BODY_BYTES = 1024 * 1024
READY = "DFaaS policy ready."


def build_app() -> Starlette:
    async def ready(request: Request) -> Response:
        return PlainTextResponse(READY)

    async def answer(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("body too large\n", status_code=413)
        try:
            document = json.loads(body)
        except ValueError:
            return PlainTextResponse("not JSON\n", status_code=422)
        try:
            return JSONResponse(decide(document))
        except PolicyInputError as error:
            return PlainTextResponse(f"{error}\n", status_code=422)

    return Starlette(
        routes=[Route("/", ready, methods=["GET"]), Route("/", answer, methods=["POST"])]
    )
