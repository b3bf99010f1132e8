"""Fakes at the edges of the agent: overlay, HAProxy, and the HTTP edge of gateway and Prometheus.

The gateway and Prometheus clients are the real ones; only their HTTP transport
is fake (`httpx.MockTransport`), so their parsing and error handling run for real.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trio

from dfaas_agent.agent import Agent, PolicySource
from dfaas_agent.config import AgentConfig
from dfaas_agent.function_runtime import GatewayClient
from dfaas_agent.haproxy import (
    Applied,
    ApplyResult,
    ProxyLayout,
    ProxyTuning,
    RuntimeApiError,
    StatRow,
)
from dfaas_agent.metrics import AgentMetrics
from dfaas_agent.overlay import Gossip, OverlayStats
from dfaas_agent.usage import ForecasterClient, PrometheusClient

SELF = "12D3KooWFz1QDbvKpEdaoZ3T8hBKj6SSaBiLmnSYcNpR1pfVsqBP"
PEER_B = "12D3KooWKR8YexZAzN98fYLqcHLDWcLf5JQTQrep2ZMQBr4GAF3n"
PEER_C = "12D3KooWM5ZPpRqfywEBWSCjwMwcKrEf313BwvgNnVxNZxbikuTt"


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeOverlay:
    """Records what is published; gossip is handed to the agent by the test."""

    peer_id: str = SELF
    connected: frozenset[str] = frozenset()
    published: list[bytes] = field(default_factory=list)
    stats: OverlayStats = field(default_factory=OverlayStats)
    fail_publish: bool = False

    @asynccontextmanager
    async def join(self) -> AsyncIterator[None]:
        yield

    async def publish(self, payload: bytes) -> None:
        if self.fail_publish:
            raise RuntimeError("fake overlay: no route")
        self.published.append(payload)

    async def subscribe(self) -> AsyncGenerator[Gossip, None]:
        await trio.sleep_forever()
        yield Gossip(sender="", payload=b"")  # pragma: no cover

    def members(self) -> frozenset[str]:
        return self.connected

    def listen_addresses(self) -> list[str]:
        return [f"/ip4/127.0.0.1/tcp/31600/p2p/{self.peer_id}"]

    async def dial(self, address: str) -> None:
        raise NotImplementedError("fake overlay: dial")


@dataclass(frozen=True)
class FakeCounters:
    """What the fake HAProxy's runtime API answers: `show stat` rows and stick tables."""

    rows: list[StatRow] = field(default_factory=list)
    tables: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def stat_rows(
    function: str, client: int, local: int, from_peers: int = 0, sender: str = PEER_B
) -> FakeCounters:
    """Counters of one function: its client requests, the requests run here (own and
    `from_peers` sent by `sender`), as `show stat` and `show table` give them."""

    def row(proxy: str, service: str, kind: int, requests: int) -> StatRow:
        return StatRow(
            proxy=proxy,
            service=service,
            kind=kind,
            status="UP",
            weight=None,
            current_sessions=0,
            total_sessions=requests,
            http_requests=requests if kind != 2 else None,
            responses_2xx=None,
            responses_4xx=None,
            responses_5xx=None,
        )

    return FakeCounters(
        rows=[
            row(f"run_{function}", "BACKEND", 1, local + from_peers),
            row(f"run_{function}", "local", 2, local + from_peers),
        ],
        tables={
            "client_requests": {function: {"http_req_cnt": client}},
            "peer_admissions": {f"{function}@{sender}": {"http_req_cnt": from_peers}},
        },
    )


@dataclass
class FakeProxy:
    """Stands in for `HAProxyController` and its runtime API; counters are set by the test.

    A layout different from the last applied one "reloads": the counters restart
    from `rows_after_reload`, like a new HAProxy worker's.
    """

    rows: FakeCounters = field(default_factory=FakeCounters)
    rows_after_reload: FakeCounters = field(default_factory=FakeCounters)
    fail_stats: bool = False
    apply_error: Exception | None = None
    applied: list[tuple[ProxyLayout, ProxyTuning]] = field(default_factory=list)

    @property
    def runtime(self) -> FakeProxy:
        return self

    async def show_stat(self) -> list[StatRow]:
        if self.fail_stats:
            raise RuntimeApiError("fake HAProxy: stats socket refused the connection")
        return self.rows.rows

    async def show_table(self, table: str) -> dict[str, dict[str, int]]:
        if self.fail_stats:
            raise RuntimeApiError("fake HAProxy: stats socket refused the connection")
        return self.rows.tables.get(table, {})

    async def apply(self, layout: ProxyLayout, tuning: ProxyTuning) -> ApplyResult:
        if self.apply_error is not None:
            raise self.apply_error
        reloaded = not self.applied or self.applied[-1][0] != layout
        self.applied.append((layout, tuning))
        if reloaded:
            self.rows = self.rows_after_reload
            return ApplyResult(Applied.RELOADED, 0)
        return ApplyResult(Applied.TUNED, 1)


@dataclass
class FakeGatewayEdge:
    """The HTTP edge of the FaaS gateway: a function list, or a connection error."""

    functions: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("fake gateway edge: connection refused", request=request)
        return httpx.Response(200, json=self.functions)


@dataclass
class FakePrometheusEdge:
    """The HTTP edge of Prometheus: one sample per query, or a connection error."""

    cpu_percent: float = 40.0
    ram_bytes: float = 2e9
    down: bool = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("fake Prometheus edge: connection refused", request=request)
        query = request.url.params["query"]
        value = self.cpu_percent if "cpu" in query else self.ram_bytes
        result = [{"metric": {}, "value": [0, str(value)]}]
        return httpx.Response(
            200, json={"status": "success", "data": {"resultType": "vector", "result": result}}
        )


@dataclass
class FakeForecasterEdge:
    """The HTTP edge of a forecaster: a fixed answer, recording each request's load."""

    answer: Any = field(default_factory=lambda: [{"cpu_usage_node": 500.0, "ram_usage_node": 1e9}])
    down: bool = False
    loads: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("fake forecaster edge: connection refused", request=request)
        self.loads.append(json.loads(request.content))
        return httpx.Response(200, json=self.answer)


def function_entry(name: str, maxrate: float | None = None) -> dict[str, Any]:
    labels = {} if maxrate is None else {"dfaas.maxrate": str(maxrate)}
    return {"name": name, "replicas": 1, "invocationCount": 0, "labels": labels}


@dataclass
class Harness:
    agent: Agent
    overlay: FakeOverlay
    proxy: FakeProxy
    gateway: FakeGatewayEdge
    prometheus: FakePrometheusEdge
    clock: FakeClock
    forecaster: FakeForecasterEdge

    def iterate(self, advance_s: float = 0.0) -> None:
        self.clock.now += advance_s
        trio.run(self.agent.control_iteration)


def agent_config(**overrides: Any) -> AgentConfig:
    document: dict[str, Any] = {
        "node_name": "node-a",
        "node_ip": "10.0.0.1",
        "period": "10s",
        "members": [
            {"name": "node-a", "peer_id": SELF, "address": "10.0.0.1"},
            {"name": "node-b", "peer_id": PEER_B, "address": "10.0.0.2"},
            {"name": "node-c", "peer_id": PEER_C, "address": "10.0.0.3"},
        ],
        "gateway_url": "http://gateway.test:8080",
        "prometheus_url": "http://prometheus.test:9090",
        "haproxy": {"peer_ca_file": "/fake/ca.pem", "peer_certificate_file": "/fake/node.pem"},
    }
    document.update(overrides)
    return AgentConfig.model_validate(document)


def harness(
    config: AgentConfig | None = None,
    last_plan_file: Path | None = None,
    with_forecaster: bool = False,
    policy: PolicySource | None = None,
) -> Iterator[Harness]:
    """A generator for a pytest fixture: the agent with fakes at every edge (and, with
    `last_plan_file`, the plan it keeps for its next start there)."""
    gateway = FakeGatewayEdge(functions=[function_entry("figlet", maxrate=10)])
    prometheus = FakePrometheusEdge()
    overlay = FakeOverlay()
    proxy = FakeProxy()
    clock = FakeClock()
    gateway_client = GatewayClient(
        "http://gateway.test:8080", transport=httpx.MockTransport(gateway.handle)
    )
    prometheus_client = PrometheusClient(
        "http://prometheus.test:9090", transport=httpx.MockTransport(prometheus.handle)
    )
    forecaster = FakeForecasterEdge()
    forecaster_client = (
        ForecasterClient(
            "http://forecaster.test", node_type=1, transport=httpx.MockTransport(forecaster.handle)
        )
        if with_forecaster
        else None
    )
    agent = Agent(
        config or agent_config(),
        peer_id=SELF,
        overlay=overlay,
        haproxy=proxy,
        gateway=gateway_client,
        usage=prometheus_client,
        metrics=AgentMetrics(),
        clock=clock,
        last_plan_file=last_plan_file,
        forecaster=forecaster_client,
        policy=policy,
    )
    yield Harness(agent, overlay, proxy, gateway, prometheus, clock, forecaster)
    trio.run(gateway_client.aclose)
    trio.run(prometheus_client.aclose)
    if forecaster_client is not None:
        trio.run(forecaster_client.aclose)
