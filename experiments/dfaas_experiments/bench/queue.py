"""The admission queue: what waiting for an execution slot costs the calls that wait.

One node runs a function of `slots` execution slots (the runtime's `max_inflight`,
which the agent turns into HAProxy's maxconn) with the agent's default queue (one
place per slot), and a local limit equal to what its slots run. It is offered more
than that (open loop): its slots are always busy, bursts wait in its queue, the rest
goes to its members. The function sleeps a fixed time, so a local call's latency
beyond the same call made alone at rest is time spent waiting for a slot: that is
the latency the queue adds, at p50 and p99, next to the forwarded calls' latency
(the alternative to waiting). Nothing here asserts a figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import trio

from dfaas_experiments.bench.measures import Say, constant_load, outcome_counts, wait_for_plan
from dfaas_experiments.bench.stats import Latency
from dfaas_experiments.load.generator import Limits, run_load
from dfaas_experiments.records import Outcome, RequestRecord
from dfaas_testing import Federation, Node, wait_until

FUNCTION = "bench-queue"
IMAGE = "sleep"  # the built-in that sleeps the milliseconds in its body
MEMBER_SLOTS = 16
MEMBER_MAXRATE = 1000.0


@dataclass(frozen=True)
class QueueRun:
    node: str
    call_ms: int
    """What the function does: sleep this long."""
    slots: int
    local_limit: int
    offered_rate: float
    duration_s: float
    alone: Latency
    """One call at a time on the idle node."""
    local: Latency
    """Calls the node ran itself under the load (waited for a slot, or not)."""
    forwarded: Latency
    outcomes: dict[str, int]
    records: list[RequestRecord]

    @property
    def added_p50_ms(self) -> float | None:
        return _minus(self.local.p50, self.alone.p50)

    @property
    def added_p99_ms(self) -> float | None:
        return _minus(self.local.p99, self.alone.p50)

    @property
    def forwarded_share(self) -> float | None:
        served = self.local.count + self.forwarded.count
        return self.forwarded.count / served if served else None


def _serves(node: Node) -> bool:
    """The node's agent still has the function in its plan (None: it does not answer)."""
    status = node.status()
    return status is None or FUNCTION in status["functions"]


def _minus(value: float | None, base: float | None) -> float | None:
    return None if value is None or base is None else value - base


def _alone(node: Node, body: bytes, calls: int) -> Latency:
    latencies = []
    with httpx.Client(base_url=node.public_url, timeout=5.0) as client:
        for _call in range(calls):
            start = time.perf_counter()
            response = client.post(f"/function/{FUNCTION}", content=body)
            elapsed_ms = (time.perf_counter() - start) * 1000
            if response.status_code == 200 and response.headers.get("X-Server") == node.name:
                latencies.append(elapsed_ms)
    return Latency.of(latencies)


def measure_queue(
    federation: Federation,
    node: Node,
    *,
    slots: int,
    call_ms: int,
    overload: float,
    duration_s: float,
    say: Say,
) -> QueueRun:
    """Offer `overload` x what `node`'s slots run, for `duration_s`; then remove the function."""
    local_limit = int(slots * 1000 / call_ms)
    members = [other for other in federation.nodes if other is not node]
    for other in members:
        other.deploy(FUNCTION, MEMBER_MAXRATE, image=IMAGE, max_inflight=MEMBER_SLOTS)
    node.deploy(FUNCTION, local_limit, image=IMAGE, max_inflight=slots)
    body = str(call_ms).encode()
    try:
        wait_for_plan(node, FUNCTION, local_limit, {other.peer_id for other in members})
        alone = _alone(node, body, calls=30)
        offered = overload * local_limit
        say(
            f"queue: {offered:g} req/s to {node.name} ({slots} slots of {call_ms} ms calls,"
            f" local limit {local_limit}) for {duration_s:g} s"
        )
        stream = constant_load(node, FUNCTION, offered, duration_s, body)
        records = trio.run(run_load, [stream], Limits(timeout_s=5.0))
    finally:
        for each in federation.nodes:
            each.remove(FUNCTION)
        # The next measurement counts reloads: this removal's must be behind it.
        wait_until(
            lambda: not any(_serves(each) for each in federation.nodes),
            f"every agent to drop {FUNCTION}",
        )
    served = [r for r in records if r.outcome is Outcome.OK and r.latency_ms is not None]
    return QueueRun(
        node=node.name,
        call_ms=call_ms,
        slots=slots,
        local_limit=local_limit,
        offered_rate=offered,
        duration_s=duration_s,
        alone=alone,
        local=Latency.of([r.latency_ms for r in served if not r.forwarded and r.latency_ms]),
        forwarded=Latency.of([r.latency_ms for r in served if r.forwarded and r.latency_ms]),
        outcomes=outcome_counts(records),
        records=records,
    )
