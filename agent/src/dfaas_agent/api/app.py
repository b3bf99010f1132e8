"""ASGI application of the agent's HTTP API.

- `GET /healthz`: 200 "ok" when the agent can do its job, else 503 listing every
  reason, one per line (the prototype always answered 200).
- `GET /metrics`: the agent's Prometheus metrics.
- `GET /status`: JSON: identity, members, strategy, weights and limits, last
  observations, as the control loop last saw them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class AgentView(Protocol):
    """What the API reads from the running agent; it never changes anything."""

    def health_problems(self) -> Sequence[str]:
        """Reasons the agent is not healthy; empty when it is."""
        ...

    def status(self) -> Mapping[str, Any]:
        """A JSON-serialisable snapshot of the agent's state."""
        ...


def create_app(view: AgentView, registry: CollectorRegistry) -> Starlette:
    async def healthz(request: Request) -> Response:
        problems = list(view.health_problems())
        if problems:
            return PlainTextResponse("\n".join(problems) + "\n", status_code=503)
        return PlainTextResponse("ok\n")

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def status(request: Request) -> Response:
        return JSONResponse(dict(view.status()))

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/status", status, methods=["GET"]),
        ]
    )
