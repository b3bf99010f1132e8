"""The ASGI application: OpenFaaS gateway routes bound to one GatewayRuntime."""

from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from dfaas_gateway import invocation_api, system_api
from dfaas_gateway.auth import REALM, BasicAuth
from dfaas_gateway.runtime import GatewayRuntime

Handler = Callable[[GatewayRuntime, Request], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

# OpenFaaS passes any method through to the function.
INVOCATION_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


async def healthz(runtime: GatewayRuntime, request: Request) -> Response:
    return PlainTextResponse("OK\n")


async def metrics(runtime: GatewayRuntime, request: Request) -> Response:
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def build_app(runtime: GatewayRuntime, auth: BasicAuth | None = None) -> Starlette:
    """The gateway's routes; with `auth`, changing the deployed functions needs it."""

    def bound(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            return await handler(runtime, request)

        return endpoint

    def management(handler: Handler) -> Endpoint:
        if auth is None:
            return bound(handler)

        async def endpoint(request: Request) -> Response:
            if not auth.admits(request.headers.get("authorization")):
                runtime.metrics.refused_management.inc()
                return PlainTextResponse(
                    "function management needs the gateway's credential\n",
                    status_code=401,
                    headers={"WWW-Authenticate": f'Basic realm="{REALM}"'},
                )
            return await handler(runtime, request)

        return endpoint

    routes = [
        Route("/healthz", bound(healthz), methods=["GET"]),
        Route("/metrics", bound(metrics), methods=["GET"]),
        Route("/system/info", bound(system_api.system_info), methods=["GET"]),
        Route("/system/functions", bound(system_api.list_functions), methods=["GET"]),
        Route("/system/functions", management(system_api.deploy_function), methods=["POST", "PUT"]),
        Route("/system/functions", management(system_api.remove_function), methods=["DELETE"]),
        Route("/system/function/{name}", bound(system_api.describe_function), methods=["GET"]),
        Route(
            "/function/{name}",
            bound(invocation_api.invoke_function),
            methods=INVOCATION_METHODS,
        ),
        Route(
            "/function/{name}/{path:path}",
            bound(invocation_api.invoke_function),
            methods=INVOCATION_METHODS,
        ),
    ]
    return Starlette(routes=routes)
