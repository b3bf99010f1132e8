"""Strategy external in the control loop: the policy endpoint over loopback HTTP plans, and
every way it can fail plans with the fallback, counted, shown in /status, logged once.

The endpoints are real HTTP servers on 127.0.0.1: the reference policy (`dfaas-policy`,
its own process) and a misbehaving one (a stdlib server in a thread of this process),
so the agent's real client, timeouts and checks run.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import trio

from dfaas_agent.policy.client import PolicyClient
from dfaas_agent.strategies import recalc
from dfaas_policy.app import READY
from dfaas_testing import free_port, start_process, stop_process, wait_until

from .fakes import PEER_B, Harness, agent_config, harness, stat_rows
from .test_control_iteration import _grant

TIMEOUT_S = 0.3


@dataclass
class Misbehaving:
    """A policy endpoint whose next answers the test sets: status and raw body, or a hang."""

    status: int = 200
    body: bytes = b"{}"
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    requests: int = 0


def _misbehaving_server(behaviour: Misbehaving) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            behaviour.requests += 1
            if behaviour.hang:
                behaviour.release.wait(timeout=30)
                return
            self.send_response(behaviour.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(behaviour.body)))
            self.end_headers()
            self.wfile.write(behaviour.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def misbehaving() -> Iterator[tuple[Misbehaving, str]]:
    behaviour = Misbehaving(release=threading.Event())
    server = _misbehaving_server(behaviour)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield behaviour, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        behaviour.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).text == READY
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def policy_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("policy") / "policy.log"
    command = [sys.executable, "-m", "dfaas_policy.cli", "--listen", f"127.0.0.1:{port}"]
    process = start_process(command, log)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: _ready(url), "the reference policy to answer")
        yield url
    finally:
        stop_process(process)


def _external_node(url: str) -> Iterator[Harness]:
    config = agent_config(
        strategy="external", external={"url": url, "timeout": f"{int(TIMEOUT_S * 1000)}ms"}
    )
    client = PolicyClient(url, timeout_s=config.external.timeout)
    try:
        yield from harness(config, policy=client)
    finally:
        trio.run(client.aclose)


def _overloaded(node: Harness) -> None:
    """figlet (maxrate 10) offered 15 req/s; member B granted us 6 req/s of it."""
    _grant(node, PEER_B, 6.0)
    node.proxy.rows_after_reload = stat_rows("figlet", client=0, local=0)
    node.iterate()
    _grant(node, PEER_B, 6.0)
    node.proxy.rows = stat_rows("figlet", client=150, local=100)


def _fallbacks(node: Harness, reason: str) -> float:
    value = node.agent.metrics.registry.get_sample_value(
        "dfaas_agent_policy_fallbacks_total", {"reason": reason}
    )
    return value or 0.0


@pytest.mark.component
def test_the_reference_policys_shares_plan_the_period_over_loopback_http(policy_url: str) -> None:
    for node in _external_node(policy_url):
        _overloaded(node)

        node.iterate(advance_s=10.0)

        last = node.agent.last
        assert last is not None
        assert last.plan is not None
        assert last.tuning is not None
        assert last.plan.strategy == "external"
        figlet = last.plan.functions["figlet"]
        # Recalc's decision as shares: 10 of 15 req/s here, the excess to B (its room).
        assert (figlet.local_weight, dict(figlet.peer_weights)) == (67, {PEER_B: 33})
        assert last.tuning.local_limit("figlet") == 10
        assert last.tuning.weights["figlet"] == {PEER_B: 33}
        status = node.agent.status()["policy"]
        assert (status["answering"], status["planned_by"], status["reason"]) == (
            True,
            "external",
            None,
        )
        assert node.agent.metrics.registry.get_sample_value("dfaas_agent_policy_answers_total")


def _answer(**figlet: object) -> bytes:
    return json.dumps({"functions": {"figlet": figlet}}).encode()


CASES: dict[str, Callable[[Misbehaving], None]] = {
    "http_status": lambda m: setattr(m, "status", 500),
    "not_json": lambda m: setattr(m, "body", b"{not json"),
    "bad_shape": lambda m: setattr(m, "body", b'{"shares": []}'),
    "bad_shares": lambda m: setattr(m, "body", _answer(local=0.9, reject=-0.1, members={})),
    "unknown_member": lambda m: setattr(
        m, "body", _answer(local=0.5, members={"12D3KooWnobody": 0.5})
    ),
    "unknown_function": lambda m: setattr(
        m, "body", json.dumps({"functions": {"figlet": {"local": 1}, "ocr": {"local": 1}}}).encode()
    ),
    "timeout": lambda m: setattr(m, "hang", True),
}


@pytest.mark.component
@pytest.mark.parametrize("reason", list(CASES))
def test_an_endpoint_that_fails_leaves_the_period_to_the_fallback_and_says_why(
    misbehaving: tuple[Misbehaving, str], reason: str
) -> None:
    behaviour, url = misbehaving
    CASES[reason](behaviour)
    for node in _external_node(url):
        _overloaded(node)  # one period, the first
        observation_peers = node.agent.peers.snapshot()

        node.iterate(advance_s=10.0)

        last = node.agent.last
        assert last is not None
        assert last.plan is not None
        assert behaviour.requests == 2
        assert last.plan == recalc.plan(last.observation, observation_peers, node.agent.settings)
        assert last.plan.functions["figlet"].peer_weights == {PEER_B: 100}
        assert _fallbacks(node, reason) == 2
        status = node.agent.status()["policy"]
        assert (status["answering"], status["planned_by"], status["reason"]) == (
            False,
            "recalc",
            reason,
        )
        assert status["fallbacks"] == {reason: 2}
        assert status["periods_in_state"] == 2


@pytest.mark.component
def test_an_endpoint_that_is_down_falls_back_and_is_used_again_once_it_answers(
    policy_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    down = f"http://127.0.0.1:{free_port()}/"
    for node in _external_node(down):
        _overloaded(node)
        caplog.set_level(logging.INFO, logger="dfaas_agent.loop.policy")

        for _ in range(3):
            node.iterate(advance_s=10.0)
            _grant(node, PEER_B, 6.0)
        assert node.agent.last is not None
        assert node.agent.last.plan is not None
        assert node.agent.last.plan.strategy == "recalc"
        assert _fallbacks(node, "unreachable") == 4
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1  # once per change, not every period
        assert "unreachable" in warnings[0].getMessage()

        node.agent.policy.url = policy_url  # type: ignore[union-attr,misc]
        node.iterate(advance_s=10.0)

        assert node.agent.last.plan is not None
        assert node.agent.last.plan.strategy == "external"
        assert node.agent.status()["policy"]["answering"] is True
        assert any("answers again" in r.getMessage() for r in caplog.records)


def test_strategies_other_than_external_never_ask_an_endpoint(
    misbehaving: tuple[Misbehaving, str], tmp_path: Path
) -> None:
    behaviour, url = misbehaving
    client = PolicyClient(url, timeout_s=TIMEOUT_S)
    try:
        for node in harness(agent_config(strategy="recalc"), policy=client):
            node.iterate()
            node.iterate(advance_s=10.0)
            assert behaviour.requests == 0
            assert node.agent.status()["policy"] is None
    finally:
        trio.run(client.aclose)
