"""Control-iteration time and agent memory with a synthetic federation.

The real `Agent.control_iteration` runs with the real strategy, the real
conversions and the real HAProxy renderer (configuration and maps, optionally
`haproxy -c`); only the edges are synthetic: a function list, a peer table
filled with recalc announcements from N members, counters that grow, and an
overlay that reports every member connected. Prints figures; asserts nothing.

    cd agent && ../.venv/bin/python benchmarks/control_iteration.py --peers 3 20
"""

from __future__ import annotations

import argparse
import datetime
import resource
import statistics
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from dfaas_agent.agent import Agent
from dfaas_agent.config import AgentConfig
from dfaas_agent.function_runtime import DeployedFunction
from dfaas_agent.haproxy import (
    Applied,
    ApplyResult,
    ProxyFiles,
    ProxyLayout,
    ProxyTuning,
    StatRow,
    check_config,
    render_config,
    render_maps,
)
from dfaas_agent.messages import NodeInfoRecalc, encode
from dfaas_agent.metrics import AgentMetrics
from dfaas_agent.overlay import Gossip, OverlayStats, peer_id_of
from dfaas_agent.usage import NodeUsage


@dataclass
class SyntheticFederation:
    """The edges: N connected members, F functions, counters that grow every call."""

    peer_ids: list[str]
    functions: list[DeployedFunction]
    stats: OverlayStats = field(default_factory=OverlayStats)
    requests: int = 0

    @property
    def peer_id(self) -> str:
        return self.peer_ids[0]

    @asynccontextmanager
    async def join(self) -> AsyncIterator[None]:
        yield

    async def publish(self, payload: bytes) -> None:
        self.stats.published += 1

    async def subscribe(self) -> AsyncGenerator[Gossip, None]:
        await trio.sleep_forever()
        yield Gossip("", b"")

    def members(self) -> frozenset[str]:
        return frozenset(self.peer_ids[1:])

    def listen_addresses(self) -> list[str]:
        return []

    async def dial(self, address: str) -> None:
        return None

    async def list_functions(self) -> list[DeployedFunction]:
        return self.functions

    async def node_usage(self, period_s: float) -> NodeUsage:
        return NodeUsage(cpu_percent=50.0, ram_bytes=1e9)

    async def show_stat(self) -> list[StatRow]:
        self.requests += 100
        rows = []
        for function in self.functions:
            for proxy, service, kind in (
                (f"run_{function.name}", "BACKEND", 1),
                (f"run_{function.name}", "local", 2),
                (f"fn_{function.name}", "BACKEND", 1),
            ):
                rows.append(
                    StatRow(
                        proxy,
                        service,
                        kind,
                        "UP",
                        None,
                        0,
                        self.requests,
                        self.requests,
                        None,
                        None,
                        None,
                    )
                )
        return rows

    async def show_table(self, table: str) -> dict[str, dict[str, int]]:
        return {function.name: {"http_req_cnt": self.requests} for function in self.functions}


@dataclass
class RenderingProxy:
    """Renders the full configuration and maps on every apply, as a layout change would.

    With `render` off it only counts the runtime API commands that a steady
    period would send (the socket round trips themselves are not included).
    """

    files: ProxyFiles
    federation: SyntheticFederation
    check: bool
    render: bool = True
    render_s: list[float] = field(default_factory=list)

    @property
    def runtime(self) -> SyntheticFederation:
        return self.federation

    async def apply(self, layout: ProxyLayout, tuning: ProxyTuning) -> ApplyResult:
        tuning.check_against(layout)
        if not self.render:
            members, functions = len(layout.members), len(layout.functions)
            return ApplyResult(Applied.TUNED, functions * (2 * members + 1))
        started = time.perf_counter()
        self.files.config_file.write_text(render_config(layout, tuning, self.files))
        for path, text in render_maps(layout, tuning, self.files).items():
            path.write_text(text)
        if self.check:
            await check_config(self.files.config_file, "haproxy")
        self.render_s.append(time.perf_counter() - started)
        return ApplyResult(Applied.RELOADED, 0)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def self_signed_tls(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate serving as CA and as this node's certificate (for haproxy -c)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "benchmark")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    ca_file, bundle = directory / "ca.pem", directory / "node.pem"
    ca_file.write_bytes(pem)
    bundle.write_bytes(
        pem
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, bundle


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(peers: int, functions: int, directory: Path, check: bool) -> tuple[Agent, RenderingProxy]:
    peer_ids = [peer_id_of(Ed25519PrivateKey.generate()) for _ in range(peers + 1)]
    ca_file, bundle = self_signed_tls(directory)
    config = AgentConfig.model_validate(
        {
            "node_name": "node-0",
            "node_ip": "10.0.0.1",
            "period": "5s",
            "members": [
                {
                    "name": f"node-{i}",
                    "peer_id": peer_id,
                    "address": f"10.0.{i // 250}.{i % 250 + 1}",
                }
                for i, peer_id in enumerate(peer_ids)
            ],
            "haproxy": {"peer_ca_file": str(ca_file), "peer_certificate_file": str(bundle)},
        }
    )
    federation = SyntheticFederation(
        peer_ids,
        [
            DeployedFunction(
                f"fn{i}", maxrate=50.0, timeout_ms=5000, replicas=1, invocation_count=0
            )
            for i in range(functions)
        ],
    )
    files = ProxyFiles(
        config_file=directory / "haproxy.cfg",
        state_dir=directory,
        stats_socket=directory / "admin.sock",
        master_socket=directory / "master.sock",
    )
    proxy = RenderingProxy(files, federation, check)
    agent = Agent(
        config,
        peer_id=peer_ids[0],
        overlay=federation,
        haproxy=proxy,
        gateway=federation,
        prometheus=federation,
        metrics=AgentMetrics(),
    )
    # Every member grants us capacity for every function, as recalc announcements do.
    for sender in peer_ids[1:]:
        grants = {f.name: 10.0 for f in federation.functions}
        message = NodeInfoRecalc(
            host="10.9.9.9",
            port=30080,
            func_limits={peer_ids[0]: grants},
            functions=sorted(grants),
        )
        agent.receive(Gossip(sender, encode(message)))
    return agent, proxy


def measure(peers: int, functions: int, iterations: int, check: bool, render: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        agent, proxy = build(peers, functions, Path(directory), check)
        proxy.render = render
        durations = []

        async def loop() -> None:
            for _ in range(iterations):
                started = time.perf_counter()
                await agent.control_iteration()
                durations.append(time.perf_counter() - started)

        trio.run(loop)
        durations.sort()
        p95 = durations[max(0, int(len(durations) * 0.95) - 1)]
        if render:
            what = "render+haproxy -c" if check else "render"
            part = f"{what} median {statistics.median(proxy.render_s) * 1000:7.2f} ms"
        else:
            part = "tuning only, no render"
        print(
            f"peers={peers:3d} functions={functions:2d} iterations={iterations}: "
            f"iteration median {statistics.median(durations) * 1000:7.2f} ms, "
            f"p95 {p95 * 1000:7.2f} ms ({part}); "
            f"RSS {rss_mib():6.1f} MiB, peak {peak_rss_mib():6.1f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, nargs="+", default=[3, 20])
    parser.add_argument("--functions", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--check", action="store_true", help="also run `haproxy -c` every time")
    arguments = parser.parse_args()
    print(f"baseline RSS before any agent: {rss_mib():.1f} MiB")
    for render in (False, True):
        for peers in arguments.peers:
            measure(peers, arguments.functions, arguments.iterations, arguments.check, render)


if __name__ == "__main__":
    main()
