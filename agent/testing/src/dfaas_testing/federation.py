"""A federation of real nodes on loopback, run as processes: gateway, HAProxy and agent.

Each node has its own loopback address (127.0.0.11, .12, ... by default) and the
nodes share the federation's port numbers (public, peer, exporter), as real nodes
do: a member's peer port is the federation's, not a per-node setting. Per node:

1. `dfaas-gateway` with one function deployed (its `dfaas.maxrate` label set);
2. HAProxy in master-worker mode on a bare configuration (no members, no functions)
   that the agent's own controller renders; the agent replaces it;
3. `dfaas-agent run` with a config file naming every node as a member and bootstrap
   peer, the throwaway federation PKI for the peer port, and no Prometheus (nothing
   listens on its URL: strategies that need CPU and RAM figures see none).

The binaries come from the virtualenv of the running interpreter (else PATH). Every
wait is bounded; a process that exits while the federation starts is named with the
end of its log; on any failure every process started so far is stopped, and
`Federation.stop()` (or leaving a `with` block) ends every process.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx
import yaml

from dfaas_agent.config import load_config
from dfaas_agent.haproxy import HAProxyController, identifiers
from dfaas_agent.identity import load_or_create_identity
from dfaas_agent.loop.conversions import proxy_files, proxy_layout
from dfaas_testing.haproxy import HAProxyProcess, find_haproxy, start_haproxy
from dfaas_testing.pki import FederationPki
from dfaas_testing.processes import (
    LOG_TAIL_LINES,
    STOP_WAIT_S,
    WAIT_S,
    LaunchError,
    check_running,
    find_binary,
    free_port,
    free_udp_port,
    log_tail,
    start_process,
    stop_process,
    wait_while_running,
)

FIRST_ADDRESS = "127.0.0.11"
STOP_ORDER = ("agent", "haproxy", "gateway")
"""Agents first: they drive HAProxy and would log its disappearance as a failure."""
Readiness = Literal["status", "first_iteration"]


@dataclass(frozen=True)
class Binaries:
    agent: str
    gateway: str
    haproxy: str

    @classmethod
    def find(cls) -> Binaries:
        """`dfaas-agent` and `dfaas-gateway` of this virtualenv (else PATH), and haproxy."""
        hint = "install the agent in this virtualenv (`make venv`)"
        return cls(
            agent=find_binary("dfaas-agent", hint),
            gateway=find_binary("dfaas-gateway", hint),
            haproxy=find_haproxy(),
        )


@dataclass(frozen=True)
class Ports:
    public: int
    peer: int
    exporter: int
    gateway: int
    api: int
    overlay: int
    prometheus: int
    """Nothing listens there: the federation runs without Prometheus."""
    latency_log: int
    """UDP on 127.0.0.1, where the node's HAProxy logs each request to its agent: one per
    node, as every node's HAProxy logs to 127.0.0.1."""


def _deployment(
    function: str, maxrate: float | None, image: str | None, max_inflight: int | None = None
) -> dict[str, Any]:
    labels = {} if maxrate is None else {"dfaas.maxrate": f"{maxrate:g}"}
    if max_inflight is not None:
        labels["dfaas.max_inflight"] = str(max_inflight)
    return {"service": function, "image": image or function, "labels": labels}


@dataclass
class Node:
    name: str
    address: str
    directory: Path
    peer_id: str
    ports: Ports
    binaries: Binaries
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    """The running components by name: `gateway`, `haproxy`, `agent`."""
    haproxy: HAProxyProcess | None = None

    @property
    def config_file(self) -> Path:
        return self.directory / "agent.yml"

    @property
    def private_key_file(self) -> Path:
        return self.directory / "private_key.pem"

    @property
    def certificate_file(self) -> Path:
        """Federation certificate and key in one PEM file (HAProxy's `crt`)."""
        return self.directory / "node.pem"

    @property
    def master_socket(self) -> Path:
        return self.directory / "master.sock"

    @property
    def admin_socket(self) -> Path:
        return self.directory / "admin.sock"

    @property
    def overlay_address(self) -> str:
        return f"/ip4/{self.address}/tcp/{self.ports.overlay}/p2p/{self.peer_id}"

    def url(self, port: int, path: str = "") -> str:
        return f"http://{self.address}:{port}{path}"

    @property
    def public_url(self) -> str:
        return self.url(self.ports.public)

    @property
    def gateway_url(self) -> str:
        return self.url(self.ports.gateway)

    @property
    def agent_url(self) -> str:
        return self.url(self.ports.api)

    # --- processes ------------------------------------------------------------------------

    def log(self, component: str) -> Path:
        return self.directory / f"{component}.log"

    def start(self, component: str, command: list[str]) -> subprocess.Popen[bytes]:
        """Run `command` as `component`, its output appended to `log(component)`."""
        process = start_process(command, self.log(component))
        self.processes[component] = process
        return process

    def edit_config(self, change: Callable[[dict[str, Any]], None]) -> str:
        """Rewrite the agent's configuration file through `change`; the file's SHA-256."""
        document = yaml.safe_load(self.config_file.read_text())
        change(document)
        self.config_file.write_text(yaml.safe_dump(document))
        return self.config_sha256()

    def config_sha256(self) -> str:
        """What the agent reports in `/status` once it runs the file as it is now."""
        return hashlib.sha256(self.config_file.read_bytes()).hexdigest()

    def reload_agent(self) -> None:
        """SIGHUP: the agent reads its configuration file again."""
        self.processes["agent"].send_signal(signal.SIGHUP)

    def start_agent(self) -> subprocess.Popen[bytes]:
        """(Re)start `dfaas-agent run` on this node's config file."""
        command = [self.binaries.agent, "--config", str(self.config_file), "run"]
        return self.start("agent", command)

    def start_gateway(self, timeout_s: float = WAIT_S) -> subprocess.Popen[bytes]:
        """(Re)start the runtime on its port and state file; wait until it answers."""
        listen = f"{self.address}:{self.ports.gateway}"
        command = [self.binaries.gateway, "--listen", listen]
        command += ["--state-file", str(self.directory / "gateway-state.json")]
        command += ["--node-name", self.name, "--cpu-workers", "1"]
        process = self.start("gateway", command)
        self.wait_for(
            "gateway", self.gateway_answers, f"{self.name} gateway on {listen}", timeout_s
        )
        return process

    def start_haproxy(self, timeout_s: float = WAIT_S) -> None:
        """(Re)start HAProxy on a bare configuration rendered from the node's agent config
        (no member, no function: the agent brings it to its plan)."""
        config = load_config(self.config_file, {})
        controller = HAProxyController(proxy_files(config), haproxy_binary=self.binaries.haproxy)
        layout = proxy_layout(config, node_id=self.peer_id, members=(), functions=())
        self.haproxy = start_haproxy(
            f"{self.name} HAProxy",
            controller,
            layout,
            log_file=self.log("haproxy"),
            timeout_s=timeout_s,
        )
        self.processes["haproxy"] = self.haproxy.process

    def pid(self, component: str) -> int:
        return self.processes[component].pid

    def check_running(self, component: str) -> None:
        """`LaunchError` with the end of its log if `component` has exited."""
        check_running(self.processes[component], f"{self.name} {component}", self.log(component))

    def wait_for(
        self,
        component: str,
        condition: Callable[[], bool],
        what: str,
        timeout_s: float = WAIT_S,
    ) -> float:
        """Wait for a state of `component`; a failure carries the end of its log."""
        return wait_while_running(
            self.processes[component],
            f"{self.name} {component}",
            self.log(component),
            condition,
            what,
            timeout_s=timeout_s,
        )

    def stop(self, component: str, wait_s: float = STOP_WAIT_S) -> int | None:
        """SIGTERM, bounded wait, then SIGKILL; the exit code of a graceful stop, else None.

        None as well for a component that never started.
        """
        process = self.processes.get(component)
        return None if process is None else stop_process(process, wait_s)

    def tail(self, component: str, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log(component), lines)

    # --- what the node says ---------------------------------------------------------------

    def status(self) -> dict[str, Any] | None:
        """The agent's `/status`, or None while it does not answer."""
        try:
            response = httpx.get(self.url(self.ports.api, "/status"), timeout=2.0)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        document: dict[str, Any] = response.json()
        return document

    def answers(self) -> bool:
        return self.status() is not None

    def runs_config(self, sha256: str) -> bool:
        """The agent answers and runs the configuration file of this digest."""
        status = self.status()
        return status is not None and status["configuration"]["file_sha256"] == sha256

    def has_iterated(self) -> bool:
        """The agent has finished its first control iteration (it rendered HAProxy's config)."""
        status = self.status()
        return status is not None and status.get("last_iteration") is not None

    def in_layout(self) -> set[str]:
        """Peer IDs of the members in this node's HAProxy layout (empty while no answer)."""
        status = self.status()
        return set() if status is None else set(status["members"]["in_layout"])

    def fresh_members(self) -> set[str]:
        """Peer IDs of the members whose announcements this node's agent holds as valid
        (it weighs them); empty while no answer."""
        status = self.status()
        return set() if status is None else set(status["members"]["fresh"])

    def routable_members(self, function: str, among: Iterable[str]) -> set[str]:
        """Which of the members named `among` this node's HAProxy can forward `function`'s
        excess to right now: their servers UP with a weight, by its own `show stat`."""
        if self.haproxy is None:
            raise LaunchError(f"{self.name}: HAProxy was not started")
        servers = self.haproxy.routable_servers(identifiers.function_backend(function))
        return {name for name in among if identifiers.member_server(name) in servers}

    def gateway_answers(self) -> bool:
        try:
            response = httpx.get(self.url(self.ports.gateway, "/system/functions"), timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def haproxy_reloads(self, timeout_s: float = WAIT_S) -> int:
        """Reloads the HAProxy master has done since it started (see `HAProxyProcess`)."""
        if self.haproxy is None:
            raise LaunchError(f"{self.name}: HAProxy was not started")
        return self.haproxy.reloads(timeout_s)

    # --- functions on the gateway ---------------------------------------------------------

    def deploy(
        self,
        function: str,
        maxrate: float | None = None,
        image: str | None = None,
        max_inflight: int | None = None,
    ) -> None:
        """Deploy a built-in (`image`, default: the function's name) on the node's gateway;
        a function already there is left as it is. `maxrate` None: no `dfaas.maxrate` label;
        `max_inflight` None: the gateway's default concurrency (execution slots)."""
        response = httpx.post(
            self.url(self.ports.gateway, "/system/functions"),
            json=_deployment(function, maxrate, image, max_inflight),
            timeout=5.0,
        )
        if response.status_code not in (202, 409):
            raise LaunchError(
                f"deploy {function} on {self.name}: {response.status_code} {response.text}"
            )

    def set_maxrate(self, function: str, maxrate: float, image: str | None = None) -> None:
        response = httpx.put(
            self.url(self.ports.gateway, "/system/functions"),
            json=_deployment(function, maxrate, image),
            timeout=5.0,
        )
        if response.status_code != 202:
            raise LaunchError(
                f"update {function} on {self.name}: {response.status_code} {response.text}"
            )

    def remove(self, function: str) -> None:
        response = httpx.request(
            "DELETE",
            self.url(self.ports.gateway, "/system/functions"),
            json={"functionName": function},
            timeout=5.0,
        )
        if response.status_code != 202:
            raise LaunchError(
                f"delete {function} on {self.name}: {response.status_code} {response.text}"
            )


@dataclass
class Federation:
    nodes: list[Node]
    pki: FederationPki
    agents_started_at: float | None = None
    """`time.monotonic()` when the agents were launched (after every gateway and HAProxy)."""

    def by_name(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [process for node in self.nodes for process in node.processes.values()]

    def check_running(self) -> None:
        """`LaunchError` naming the first process of the federation that has exited."""
        for node in self.nodes:
            for component in node.processes:
                node.check_running(component)

    def stop(self) -> dict[str, int | None]:
        """Stop every process, agents first; each agent's exit code (see `Node.stop`).

        A failure to stop one process does not keep the others running: the first
        such error is raised once all were asked to stop.
        """
        agent_codes: dict[str, int | None] = {}
        errors: list[Exception] = []
        for component in STOP_ORDER:
            for node in self.nodes:
                try:
                    code = node.stop(component)
                except Exception as error:  # stop the others first, then raise
                    errors.append(error)
                    continue
                if component == "agent":
                    agent_codes[node.name] = code
        if errors:
            raise errors[0]
        return agent_codes

    def summary(self) -> str:
        """For failure messages: each node's last `/status` and the end of its agent log."""
        parts = []
        for node in self.nodes:
            parts.append(f"--- {node.name} /status: {json.dumps(node.status(), indent=1)}")
            parts.append(f"--- {node.name} agent log:\n{node.tail('agent')}")
        return "\n".join(parts)

    def __enter__(self) -> Federation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_federation(
    directory: Path,
    maxrates: Mapping[str, float | None],
    *,
    function: str = "shasum",
    image: str | None = None,
    strategy: str = "recalc",
    period: str = "1s",
    first_address: str = FIRST_ADDRESS,
    ready: Readiness = "status",
    binaries: Binaries | None = None,
    timeout_s: float = WAIT_S,
    agent_settings: Mapping[str, Any] | None = None,
) -> Federation:
    """Start one node per `maxrates` entry, in its order, and return when all are up.

    `maxrates` maps a node name to the `dfaas.maxrate` label of `function` on its
    gateway (None: no label). `image` is the gateway built-in that runs `function`
    (default: the one of the same name). Nodes get consecutive addresses from
    `first_address`, folders `directory/<name>` (logs: `<component>.log`) and the PKI
    `directory/pki`. `ready`: return once every agent answers `/status`, or once each
    has finished its first control iteration (its own HAProxy configuration in place).
    `timeout_s` bounds each wait. `agent_settings`: top-level agent settings written
    into every agent's configuration over the ones above.
    """
    found = binaries or Binaries.find()
    names = list(maxrates)
    first = ipaddress.IPv4Address(first_address)
    addresses = [str(first + index) for index in range(len(names))]
    pki = FederationPki.create(directory / "pki")
    shared = {role: free_port(addresses) for role in ("public", "peer", "exporter")}
    nodes: list[Node] = []
    for name, address in zip(names, addresses, strict=True):
        node_directory = directory / name
        node_directory.mkdir(parents=True)
        identity = load_or_create_identity(node_directory / "private_key.pem")
        ports = Ports(
            **shared,
            gateway=free_port([address]),
            api=free_port([address]),
            overlay=free_port([address]),
            prometheus=free_port([address]),
            latency_log=free_udp_port(node.ports.latency_log for node in nodes),
        )
        nodes.append(Node(name, address, node_directory, identity.peer_id, ports, found))
    federation = Federation(nodes, pki)
    try:
        for node in nodes:
            pki.issue(node.peer_id, node.certificate_file)
            _write_agent_config(
                node,
                nodes,
                pki.ca_file,
                period=period,
                strategy=strategy,
                settings=agent_settings or {},
            )
            node.start_gateway(timeout_s)
            node.deploy(function, maxrates[node.name], image)
            node.start_haproxy(timeout_s)
        federation.agents_started_at = time.monotonic()
        for node in nodes:
            node.start_agent()
        condition = Node.answers if ready == "status" else Node.has_iterated
        for node in nodes:

            def up(node: Node = node) -> bool:
                federation.check_running()
                return condition(node)

            what = "/status" if ready == "status" else "its first iteration"
            node.wait_for("agent", up, f"{node.name} agent {what}", timeout_s)
    except BaseException:
        federation.stop()
        raise
    return federation


def _write_agent_config(
    node: Node,
    nodes: list[Node],
    ca_file: Path,
    *,
    period: str,
    strategy: str,
    settings: Mapping[str, Any],
) -> None:
    document: dict[str, Any] = {
        "node_name": node.name,
        "node_ip": node.address,
        "listen": [f"/ip4/{node.address}/tcp/{node.ports.overlay}"],
        "private_key_file": str(node.private_key_file),
        "bootstrap_peers": [other.overlay_address for other in nodes if other is not node],
        "bootstrap_backoff": "0.5s",
        "bootstrap_backoff_max": "2s",
        "kademlia_enabled": False,
        "members": [
            {"name": member.name, "peer_id": member.peer_id, "address": member.address}
            for member in nodes
        ],
        "strategy": strategy,
        "period": period,
        "haproxy": {
            "binary": node.binaries.haproxy,
            "rendered_config_file": str(node.directory / "haproxy.cfg"),
            "state_dir": str(node.directory / "haproxy-state"),
            "master_socket": str(node.master_socket),
            "admin_socket": str(node.admin_socket),
            "public_port": node.ports.public,
            "peer_port": node.ports.peer,
            "exporter_port": node.ports.exporter,
            "latency_log_port": node.ports.latency_log,
            "bind_address": node.address,
            "peer_ca_file": str(ca_file),
            "peer_certificate_file": str(node.certificate_file),
        },
        "gateway_url": node.gateway_url,
        "prometheus_url": node.url(node.ports.prometheus),
        "http_listen": f"{node.address}:{node.ports.api}",
        "log_level": "info",
    }
    node.config_file.write_text(yaml.safe_dump(document | dict(settings)))
