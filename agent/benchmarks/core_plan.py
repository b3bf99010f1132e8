"""How long the pure core takes per period: strategy plans, message codec, peer table.

Run: `python benchmarks/core_plan.py` from `agent/`. Prints one line per case;
no assertions (figures, not tests). Every loop is bounded by a repeat count.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

from dfaas_agent.messages import decode, encode
from dfaas_agent.model import FunctionObservation, Observation, PeerInfo, StrategySettings
from dfaas_agent.peers import PeerTable
from dfaas_agent.strategies import STRATEGIES

ME = "12D3KooWSelf"
REPEATS = 20


def _timed(action: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of one call, in milliseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _federation(peer_count: int, function_count: int) -> tuple[Observation, dict[str, PeerInfo]]:
    functions = [f"fn{index}" for index in range(function_count)]
    observation = Observation(
        peer_id=ME,
        functions={
            name: FunctionObservation(maxrate=100.0, timeout_ms=5000, offered_rate=150.0)
            for name in functions
        },
        cpu_percent=300.0,
        ram_bytes=2e9,
    )
    peers = {
        f"12D3KooWPeer{index:04d}": PeerInfo(
            peer_id=f"12D3KooWPeer{index:04d}",
            host=f"10.0.{index // 250}.{index % 250 + 1}",
            port=30080,
            functions=frozenset(functions),
            granted_to_us=dict.fromkeys(functions, 5.0),
            margin=10.0,
        )
        for index in range(peer_count)
    }
    return observation, peers


def main() -> None:
    settings = StrategySettings(node_ip="10.255.0.1")
    for peer_count in (10, 100, 500):
        observation, peers = _federation(peer_count, function_count=10)
        for name, strategy in STRATEGIES.items():
            milliseconds = _timed(partial(strategy, observation, peers, settings))
            print(f"plan {name:<11} peers={peer_count:<4} functions=10  {milliseconds:8.3f} ms")
        plan = STRATEGIES["recalc"](observation, peers, settings)
        payload = encode(plan.announcements[0])
        encode_ms = _timed(partial(encode, plan.announcements[0]))
        decode_ms = _timed(partial(decode, payload))
        print(
            f"recalc announcement peers={peer_count:<4} {len(payload):>8} bytes  "
            f"encode {encode_ms:.3f} ms  decode {decode_ms:.3f} ms"
        )

    table = PeerTable(ME, validity_s=72.0, clock=time.monotonic)
    observation, peers = _federation(100, function_count=10)
    messages = [
        (peer_id, STRATEGIES["static"](_seen_as(peer_id, observation), {}, settings))
        for peer_id in peers
    ]
    start = time.perf_counter()
    count = 0
    for _ in range(10):
        for sender, plan in messages:
            table.record(sender, plan.announcements[0])
            count += 1
    elapsed = time.perf_counter() - start
    print(f"peer table record: {count / elapsed:,.0f} messages/s ({len(table.snapshot())} peers)")


def _seen_as(peer_id: str, observation: Observation) -> Observation:
    """The same node seen as another peer (for generating its announcements)."""
    return Observation(peer_id=peer_id, functions=observation.functions)


if __name__ == "__main__":
    main()
