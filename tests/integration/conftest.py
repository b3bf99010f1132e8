# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Real services for the plugins' integration tests, and a runner for real ansible calls.

Every process runs on loopback or a unix socket under tmp_path, is waited for with a
bound, and is stopped by its fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from ansible_collections.dfaas.edge.tests.integration.services import (
    HAPROXY_CONFIG,
    HERE,
    PROMETHEUS_CONFIG,
    VENV_BIN,
    HAProxy,
    MonitoredNode,
    Service,
    free_port,
    http_ok,
    promql,
    require,
    wait_until,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "component: starts real processes (HAProxy, Prometheus...) on loopback"
    )


@pytest.fixture(scope="session")
def collections_root() -> Path:
    """The collections path that holds this (staged) copy of dfaas.edge."""
    return HERE.parents[5]


AnsibleRunner = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def ansible(collections_root: Path, tmp_path_factory: pytest.TempPathFactory) -> AnsibleRunner:
    """Run one module on localhost with the real ``ansible`` command; return its result."""
    home = tmp_path_factory.mktemp("ansible-home")
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
    }

    def run(
        module: str, args: dict[str, Any], check: bool = False, diff: bool = False
    ) -> dict[str, Any]:
        argv = [str(VENV_BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps(args)]
        argv += ["--check"] * check + ["--diff"] * diff
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        try:
            report = json.loads(done.stdout)
        except ValueError:
            pytest.fail(
                f"ansible printed no JSON report: {done.stdout[-2000:]} {done.stderr[-2000:]}"
            )
        result: dict[str, Any] = report["plays"][0]["tasks"][0]["hosts"]["localhost"]
        return result

    return run


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[HAProxy]:
    """Debian's HAProxy with an admin socket in tmp_path and a TCP runtime API on loopback."""
    binary = require("haproxy")
    socket_path = tmp_path / "admin.sock"
    tcp = f"127.0.0.1:{free_port()}"
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(
            socket=socket_path,
            tcp=tcp,
            public_port=free_port(),
            local_port=free_port(),
            peer_port=free_port(),
        )
    )
    service = Service([binary, "-db", "-f", str(config)], tmp_path / "haproxy.log")
    try:
        wait_until(lambda: service.check_alive() and socket_path.exists(), "HAProxy admin socket")
        yield HAProxy(socket_path, tcp)
    finally:
        service.stop()


@pytest.fixture(scope="session")
def monitored_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MonitoredNode]:
    """Debian's Prometheus scraping every second: Debian's node exporter, a prometheus_client
    exporter serving ``dfaas_integration_answer 42`` and the project's function runtime."""
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    prometheus_bin = require("prometheus")
    node_exporter_bin = require("prometheus-node-exporter")
    gateway_bin = require("dfaas-gateway")
    work = tmp_path_factory.mktemp("monitored-node")
    registry = CollectorRegistry()
    Gauge("dfaas_integration_answer", "A known value to read back", registry=registry).set(42)
    exporter_port, node_port, gateway_port = free_port(), free_port(), free_port()
    exporter, exporter_thread = start_http_server(
        exporter_port, addr="127.0.0.1", registry=registry
    )
    prometheus_port = free_port()
    (work / "prometheus.yml").write_text(
        PROMETHEUS_CONFIG.format(
            node_port=node_port, exporter_port=exporter_port, gateway_port=gateway_port
        )
    )
    services = [
        Service(
            [
                node_exporter_bin,
                f"--web.listen-address=127.0.0.1:{node_port}",
                "--collector.disable-defaults",
                "--collector.cpu",
                "--collector.meminfo",
                "--collector.loadavg",
            ],
            work / "node-exporter.log",
        ),
        Service(
            [
                gateway_bin,
                "--listen",
                f"127.0.0.1:{gateway_port}",
                "--state-file",
                str(work / "gateway-state.json"),
                "--cpu-workers",
                "1",
            ],
            work / "gateway.log",
        ),
        Service(
            [
                prometheus_bin,
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={work / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            work / "prometheus.log",
        ),
    ]
    node = MonitoredNode(
        f"http://127.0.0.1:{prometheus_port}", f"http://127.0.0.1:{gateway_port}", 42.0
    )
    try:
        wait_until(
            lambda: (
                all(s.check_alive() for s in services)
                and http_ok(f"{node.gateway_url}/healthz")
                and http_ok(f"{node.prometheus_url}/-/ready")
            ),
            "Prometheus and the function runtime",
        )
        # Rates need two scrapes of every target.
        wait_until(
            lambda: (
                len(promql(node.prometheus_url, "count_over_time(up[1m]) >= 2 and up == 1")) == 3
            ),
            "two successful scrapes of every target",
            timeout=30,
        )
        yield node
    finally:
        for service in services:
            service.stop()
        exporter.shutdown()
        exporter_thread.join(timeout=5)
