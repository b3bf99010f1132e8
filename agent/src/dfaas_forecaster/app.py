"""The prototype forecaster's HTTP API over a `LinearModel`.

`GET /` says it is ready; `GET /node_usage` (and `/cpu_usage_node`, `/ram_usage_node`,
`/power_usage_node`) take the load as a JSON body and answer a list of one object.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from dfaas_forecaster.model import ForecastInputError, LinearModel

MAX_BODY_BYTES = 4096


def build_app(model: LinearModel) -> Starlette:
    async def ready(request: Request) -> Response:
        return PlainTextResponse("DFaaS Forecaster ready.")

    def endpoint(fields: tuple[str, ...] | None) -> Route:
        async def forecast(request: Request) -> Response:
            body = await request.body()
            if len(body) > MAX_BODY_BYTES:
                return PlainTextResponse("body too large\n", status_code=413)
            try:
                answer = model.forecast(json.loads(body or b"{}"))
            except ValueError as error:  # JSON errors and ForecastInputError
                reason = error if isinstance(error, ForecastInputError) else "not JSON"
                return PlainTextResponse(f"{reason}\n", status_code=422)
            if fields is not None:
                answer = {key: value for key, value in answer.items() if key in fields}
            return JSONResponse([answer])

        path = "/node_usage" if fields is None else f"/{fields[0]}"
        return Route(path, forecast, methods=["GET", "POST"])

    return Starlette(
        routes=[
            Route("/", ready, methods=["GET"]),
            endpoint(None),
            endpoint(("cpu_usage_node",)),
            endpoint(("ram_usage_node",)),
            endpoint(("power_usage_node",)),
        ]
    )
