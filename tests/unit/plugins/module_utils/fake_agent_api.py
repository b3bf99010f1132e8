# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A fake of the DFaaS agent's HTTP API for unit tests: ``/status`` and ``/healthz``
answered from memory on loopback, so tests can set any snapshot, error or delay.

The real agent API is exercised by tests/integration/test_live_federation_plugins.py.
"""

from __future__ import annotations

import ssl
from typing import Any, Iterator

import pytest

from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeHTTPService,
)

NODE_A = "12D3KooWNodeAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
NODE_B = "12D3KooWNodeBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
NODE_C = "12D3KooWNodeCccccccccccccccccccccccccccccccccccccccccc"


def agent_status(
    connected: list[str] | None = None,
    fresh: list[str] | None = None,
    in_layout: list[str] | None = None,
) -> dict[str, Any]:
    """A ``/status`` document of node-a in a three-member federation (shape of docs/agent.md)."""
    return {
        "peer_id": NODE_A,
        "node_name": "node-a",
        "strategy": "recalc",
        "period_s": 1.0,
        "members": {
            "configured": {NODE_A: "node-a", NODE_B: "node-b", NODE_C: "node-c"},
            "connected": connected or [],
            "fresh": fresh or [],
            "in_layout": in_layout or [],
        },
        "functions": {
            "shasum": {
                "maxrate": 2.0,
                "observed": {"offered_rate": 3.0, "executed_rate": 2.0},
                "local_limit": 2,
                "local_weight": 0,
                "weights": {NODE_B: 100},
                "admitted_rates": {NODE_B: 1.0},
            }
        },
        "node": {"cpu_percent": None, "ram_bytes": None},
        "components": {"gateway": {"up": True, "problem": None, "failures": 0}},
        "overlay": {"published": 3, "received": 5},
        "last_iteration": {"age_s": 0.2, "duration_s": 0.01, "haproxy": "tuned"},
    }


class FakeAgentApi(FakeHTTPService):
    """Answers ``GET /status`` with ``status`` and ``GET /healthz`` with ``health``."""

    def __init__(self) -> None:
        super().__init__()
        self.status: tuple[int, Any] = (200, agent_status())
        self.health: tuple[int, bytes] = (200, b"ok\n")

    def wrap_socket(self, context: ssl.SSLContext) -> None:
        """Serve HTTPS with ``context`` instead of HTTP (call before ``start``)."""
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    def answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        if request["method"] != "GET":
            return 405, b"Method Not Allowed"
        if request["path"] == "/status":
            return self.status
        if request["path"] == "/healthz":
            return self.health
        return 404, b"Not Found"


@pytest.fixture
def fake_agent() -> Iterator[FakeAgentApi]:
    fake = FakeAgentApi().start()
    yield fake
    fake.stop()
