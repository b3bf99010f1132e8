"""/function/<name>[/sub/path]: run a deployed function within its concurrency and time limits."""

import logging
import time
import uuid

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from dfaas_gateway.function_table import DeployedFunction
from dfaas_gateway.functions.base import (
    FunctionInputError,
    FunctionOutput,
    FunctionUnavailableError,
    Invocation,
)
from dfaas_gateway.runtime import BodyTooLargeError, GatewayRuntime

log = logging.getLogger(__name__)


async def invoke_function(runtime: GatewayRuntime, request: Request) -> Response:
    name = request.path_params["name"]
    function = runtime.table.get(name)
    if function is None:
        return PlainTextResponse(
            f"function {name} is not deployed\n",
            status_code=404,
            headers={"X-Served-By": runtime.node_name},
        )
    started = time.perf_counter()
    if await function.admit(runtime.slot_wait_seconds):
        runtime.metrics.set_inflight(name, function.inflight)
        try:
            response = await _run(runtime, function, request)
        finally:
            function.release()
            # A function removed meanwhile keeps no gauge series.
            if runtime.table.get(name) is function:
                runtime.metrics.set_inflight(name, function.inflight)
    else:
        response = PlainTextResponse(
            f"function {name} is at its concurrency limit"
            f" ({function.limits.max_inflight} in flight)\n",
            status_code=429,
        )
    seconds = time.perf_counter() - started
    function.invocation_count += 1
    runtime.metrics.invocation_finished(name, response.status_code, seconds)
    response.headers["X-Served-By"] = runtime.node_name
    response.headers["X-Duration-Seconds"] = f"{seconds:.6f}"
    response.headers["X-Call-Id"] = request.headers.get("x-call-id") or str(uuid.uuid4())
    return response


async def _run(runtime: GatewayRuntime, function: DeployedFunction, request: Request) -> Response:
    timeout = function.limits.timeout_seconds
    try:
        with anyio.fail_after(timeout):
            body = await runtime.read_body(request)
            output = await function.builtin(_invocation(function.name, request, body))
    except TimeoutError:
        return PlainTextResponse(
            f"function {function.name} timed out after {timeout:g} s\n", status_code=504
        )
    except BodyTooLargeError as error:
        return PlainTextResponse(f"{error}\n", status_code=413)
    except FunctionInputError as error:
        return PlainTextResponse(f"{error}\n", status_code=error.status_code)
    except FunctionUnavailableError as error:
        log.warning("function %s cannot run: %s", function.name, error)
        # A refusal before running (this node lacks something): HAProxy lets a member's
        # request that gets it try another member, unlike the function's own 503.
        return PlainTextResponse(
            f"{error}\n", status_code=503, headers={"DFaaS-Refused": "unavailable"}
        )
    except Exception:
        log.exception("function %s failed", function.name)
        return PlainTextResponse(f"function {function.name} failed\n", status_code=500)
    return _response(output)


def _invocation(name: str, request: Request, body: bytes) -> Invocation:
    return Invocation(
        function_name=name,
        method=request.method,
        path="/" + request.path_params.get("path", ""),
        query=dict(request.query_params),
        body=body,
        content_type=_media_type(request.headers.get("content-type", "")),
    )


def _media_type(header: str) -> str:
    """'Image/PNG; charset=x' -> 'image/png'."""
    return header.split(";", 1)[0].strip().lower()


def _response(output: FunctionOutput) -> Response:
    return Response(output.body, status_code=200, media_type=output.content_type)
