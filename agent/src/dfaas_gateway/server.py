"""Start one gateway: restore the deployed set, then serve HTTP with hypercorn on trio."""

import logging
import signal
from typing import cast

import anyio
import trio
from hypercorn.config import Config
from hypercorn.trio import serve as hypercorn_serve
from hypercorn.typing import Framework

from dfaas_gateway.app import build_app
from dfaas_gateway.deployment import DeploymentError, FunctionDeployment
from dfaas_gateway.function_table import FunctionDefaults, FunctionTable
from dfaas_gateway.functions.catalog import builtin_catalog
from dfaas_gateway.metrics import GatewayMetrics
from dfaas_gateway.runtime import GatewayRuntime
from dfaas_gateway.settings import GatewaySettings
from dfaas_gateway.state_file import StateFile, StateFileError

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The gateway cannot start with this configuration or state file."""


def build_runtime(settings: GatewaySettings) -> tuple[GatewayRuntime, bool]:
    """The runtime with the saved functions and the preloads; True when preloads were added."""
    catalog = builtin_catalog(
        node_name=settings.node_name,
        figlet_binary=settings.figlet_binary,
        tesseract_binary=settings.tesseract_binary,
        cpu_workers=anyio.CapacityLimiter(settings.cpu_workers),
    )
    table = FunctionTable(
        catalog,
        FunctionDefaults(settings.default_max_inflight, settings.default_timeout_seconds),
    )
    state_file = StateFile(settings.state_file)
    try:
        for deployment in state_file.load():
            table.deploy(deployment)
        preloads = [name for name in settings.preload if table.get(name) is None]
        for name in preloads:
            table.deploy(FunctionDeployment(service=name, image=name))
    except (StateFileError, DeploymentError) as error:
        raise StartupError(str(error)) from None
    metrics = GatewayMetrics()
    for function in table.functions():
        metrics.function_deployed(function.name)
    runtime = GatewayRuntime(
        node_name=settings.node_name,
        table=table,
        state_file=state_file,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        slot_wait_seconds=settings.slot_wait_seconds,
    )
    return runtime, bool(preloads)


async def serve(settings: GatewaySettings) -> None:
    """Serve until SIGINT or SIGTERM, then finish in-flight requests (bounded) and return."""
    runtime, preloaded = build_runtime(settings)
    if preloaded:
        await runtime.persist()
    config = Config()
    config.bind = [settings.bind]
    config.graceful_timeout = 5.0
    # HAProxy opens connections in bursts under load; hypercorn's default is 100.
    config.backlog = 1024
    # Outlive the idle keep-alive of our clients (HAProxy's pooled server connections,
    # the agent's httpx pool: a few seconds), so that the gateway never closes an idle
    # connection just as a client reuses it (a reset, seen as 503/502 upstream).
    config.keep_alive_timeout = 75.0
    # Through logging's configuration rather than hypercorn's own stderr handler.
    config.errorlog = logging.getLogger("hypercorn.error")
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_set_on_signal, stop)
        log.info(
            "dfaas-gateway node %s serving %d function(s) on %s, function management %s",
            settings.node_name,
            len(runtime.table.functions()),
            settings.bind,
            "with basic auth" if settings.basic_auth else "WITHOUT authentication",
        )
        # Starlette is an ASGI 3 app; its type is not hypercorn's structural one.
        app = cast(Framework, build_app(runtime, settings.basic_auth))
        await hypercorn_serve(app, config, shutdown_trigger=stop.wait)
        nursery.cancel_scope.cancel()


async def _set_on_signal(stop: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            stop.set()
            return
