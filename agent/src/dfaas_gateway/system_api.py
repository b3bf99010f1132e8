"""The OpenFaaS /system API: list, inspect, deploy, update and remove functions."""

import json
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from dfaas_gateway.deployment import DeploymentError, parse_deployment
from dfaas_gateway.function_table import FunctionExistsError, FunctionNotFoundError
from dfaas_gateway.runtime import BodyTooLargeError, GatewayRuntime


def _text(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status)


async def _json_body(runtime: GatewayRuntime, request: Request) -> Any:
    try:
        return json.loads(await runtime.read_body(request))
    except BodyTooLargeError as error:
        raise DeploymentError(str(error)) from None
    except ValueError as error:
        raise DeploymentError(f"request body is not valid JSON: {error}") from None


async def list_functions(runtime: GatewayRuntime, request: Request) -> Response:
    return JSONResponse([function.status() for function in runtime.table.functions()])


async def describe_function(runtime: GatewayRuntime, request: Request) -> Response:
    name = request.path_params["name"]
    function = runtime.table.get(name)
    if function is None:
        return _text(404, f"function {name} is not deployed")
    return JSONResponse(function.status())


async def deploy_function(runtime: GatewayRuntime, request: Request) -> Response:
    """POST deploys a new function, PUT updates a deployed one (202 like OpenFaaS)."""
    try:
        deployment = parse_deployment(await _json_body(runtime, request))
        async with runtime.changes:
            if request.method == "POST":
                function = runtime.table.deploy(deployment)
            else:
                function = runtime.table.update(deployment)
            await runtime.persist()
    except DeploymentError as error:
        return _text(400, str(error))
    except FunctionExistsError as error:
        return _text(409, str(error))
    except FunctionNotFoundError as error:
        return _text(404, str(error))
    runtime.metrics.function_deployed(function.name)
    return Response(status_code=202)


async def remove_function(runtime: GatewayRuntime, request: Request) -> Response:
    try:
        body = await _json_body(runtime, request)
    except DeploymentError as error:
        return _text(400, str(error))
    name = body.get("functionName") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        return _text(400, 'remove request needs {"functionName": "<name>"}')
    try:
        async with runtime.changes:
            runtime.table.remove(name)
            await runtime.persist()
    except FunctionNotFoundError as error:
        return _text(404, str(error))
    runtime.metrics.function_removed(name)
    return Response(status_code=202)


async def system_info(runtime: GatewayRuntime, request: Request) -> Response:
    try:
        release = version("dfaas-agent")
    except PackageNotFoundError:
        release = "unknown"
    return JSONResponse(
        {
            "provider": {
                "provider": "dfaas-gateway",
                "orchestration": "local",
                "version": {"release": release},
            },
            "version": {"release": release},
            "arch": platform.machine(),
            "node": runtime.node_name,
        }
    )
