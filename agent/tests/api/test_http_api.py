"""The agent's HTTP API: health with reasons, Prometheus metrics, JSON status."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import trio
from starlette.testclient import TestClient

from dfaas_agent.api import create_app, serve
from dfaas_agent.metrics import AgentMetrics


class FixedView:
    """An AgentView with fixed answers (the control loop is not under test here)."""

    def __init__(self, problems: Sequence[str] = (), status: Mapping[str, Any] | None = None):
        self.problems = list(problems)
        self.snapshot = dict(status or {"peer_id": "12D3KooWTest", "members": []})

    def health_problems(self) -> Sequence[str]:
        return self.problems

    def status(self) -> Mapping[str, Any]:
        return self.snapshot


def client_for(view: FixedView, metrics: AgentMetrics | None = None) -> TestClient:
    return TestClient(create_app(view, (metrics or AgentMetrics()).registry))


def test_healthz_is_200_when_nothing_is_wrong() -> None:
    response = client_for(FixedView()).get("/healthz")
    assert (response.status_code, response.text) == (200, "ok\n")


def test_healthz_is_503_and_lists_every_reason() -> None:
    view = FixedView(problems=["gateway: connection refused", "no member connected"])
    response = client_for(view).get("/healthz")
    assert response.status_code == 503
    assert response.text.splitlines() == ["gateway: connection refused", "no member connected"]


def test_status_returns_the_agent_snapshot_as_json() -> None:
    snapshot = {"peer_id": "12D3KooWA", "strategy": "recalc", "members": ["12D3KooWB"]}
    response = client_for(FixedView(status=snapshot)).get("/status")
    assert response.status_code == 200
    assert response.json() == snapshot


def test_metrics_expose_iterations_weights_and_drops() -> None:
    metrics = AgentMetrics()
    metrics.record_iteration(0.02)
    metrics.record_function(
        "figlet", weights={"peerB": 40, "peerC": 60}, local_rate=10, forward_rates={"peerB": 16}
    )
    metrics.dropped_messages.labels(reason="non_member").inc()
    text = client_for(FixedView(), metrics).get("/metrics").text
    assert "dfaas_agent_strategy_iterations_total 1.0" in text
    assert "dfaas_agent_strategy_iteration_duration_seconds 0.02" in text
    assert 'dfaas_agent_weight{function="figlet",peer="peerC"} 60.0' in text
    assert 'dfaas_agent_dropped_messages_total{reason="non_member"} 1.0' in text


def test_metrics_expose_refused_overlay_connections() -> None:
    metrics = AgentMetrics()
    metrics.refused_connections.labels(reason="non_member").inc(3)

    text = client_for(FixedView(), metrics).get("/metrics").text

    assert "# TYPE dfaas_agent_refused_connections_total counter" in text
    assert 'dfaas_agent_refused_connections_total{reason="non_member"} 3.0' in text


def test_a_peer_that_left_the_plan_disappears_from_the_metrics() -> None:
    metrics = AgentMetrics()
    metrics.record_function("figlet", weights={"B": 40, "C": 60}, local_rate=1, forward_rates={})
    metrics.record_function("figlet", weights={"C": 100}, local_rate=1, forward_rates={})
    text = client_for(FixedView(), metrics).get("/metrics").text
    assert 'peer="B"' not in text
    assert 'dfaas_agent_weight{function="figlet",peer="C"} 100.0' in text


def test_unknown_path_is_404_and_wrong_method_405() -> None:
    client = client_for(FixedView())
    assert client.get("/nope").status_code == 404
    assert client.post("/healthz").status_code == 405


def test_server_answers_over_real_http_on_trio() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> tuple[int, str]:
        app = create_app(FixedView(problems=["haproxy: socket missing"]), AgentMetrics().registry)
        with trio.fail_after(20):
            return await serve_and_get(app)

    async def serve_and_get(app: Any) -> tuple[int, str]:
        async with trio.open_nursery() as nursery:
            await nursery.start(serve, app, f"127.0.0.1:{port}")
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            nursery.cancel_scope.cancel()
        return response.status_code, response.text

    status, body = trio.run(main)
    assert (status, body) == (503, "haproxy: socket missing\n")
