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
    GATEWAY_PASSWORD,
    GATEWAY_USER,
    HAPROXY_CONFIG,
    HERE,
    MONITORED_HAPROXY_CONFIG,
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
    exporter serving ``dfaas_integration_answer 42``, the project's function runtime and
    Debian's HAProxy (its built-in exporter) in front of that runtime."""
    from prometheus_client import CollectorRegistry, Gauge, start_http_server

    binaries = {
        name: require(name)
        for name in ("prometheus", "prometheus-node-exporter", "dfaas-gateway", "haproxy")
    }
    work = tmp_path_factory.mktemp("monitored-node")
    ports = {
        name: free_port()
        for name in ("node", "exporter", "gateway", "haproxy", "haproxy_metrics", "prometheus")
    }
    registry = CollectorRegistry()
    Gauge("dfaas_integration_answer", "A known value to read back", registry=registry).set(42)
    exporter, exporter_thread = start_http_server(
        ports["exporter"], addr="127.0.0.1", registry=registry
    )
    (work / "prometheus.yml").write_text(PROMETHEUS_CONFIG.format(**ports))
    # Function management needs the credential, as on a node that the gateway role set up.
    (work / "gateway-password").write_text(GATEWAY_PASSWORD + "\n")
    (work / "haproxy.cfg").write_text(MONITORED_HAPROXY_CONFIG.format(**ports))
    commands = [
        [
            binaries["prometheus-node-exporter"],
            f"--web.listen-address=127.0.0.1:{ports['node']}",
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.loadavg",
        ],
        [
            binaries["dfaas-gateway"],
            "--listen",
            f"127.0.0.1:{ports['gateway']}",
            "--state-file",
            str(work / "gateway-state.json"),
            "--cpu-workers",
            "1",
            "--basic-auth-user",
            GATEWAY_USER,
            "--basic-auth-password-file",
            str(work / "gateway-password"),
        ],
        [binaries["haproxy"], "-db", "-f", str(work / "haproxy.cfg")],
        [
            binaries["prometheus"],
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
        ],
    ]
    node = MonitoredNode(
        prometheus_url=f"http://127.0.0.1:{ports['prometheus']}",
        gateway_url=f"http://127.0.0.1:{ports['gateway']}",
        haproxy_url=f"http://127.0.0.1:{ports['haproxy']}",
        answer=42.0,
    )
    services: list[Service] = []
    try:
        for argv in commands:
            services.append(Service(argv, work / f"{Path(argv[0]).name}.log"))
        wait_until(
            lambda: (
                all(s.check_alive() for s in services)
                and http_ok(f"{node.gateway_url}/healthz")
                and http_ok(f"{node.prometheus_url}/-/ready")
            ),
            "Prometheus and the function runtime",
        )
        # Rates need two scrapes of every target.
        scraped_twice = "count_over_time(up[1m]) >= 2 and up == 1"
        wait_until(
            lambda: len(promql(node.prometheus_url, scraped_twice)) == 4,
            "two successful scrapes of every target",
            timeout=30,
        )
        yield node
    finally:
        for service in services:
            service.stop()
        exporter.shutdown()
        exporter_thread.join(timeout=5)
