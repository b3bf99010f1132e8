"""The four measurements, each against a running loopback federation.

Each function prepares the state it needs (maxrate labels, weights armed),
measures, and returns plain figures; none of them asserts a duration.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import httpx
import trio

from dfaas_agent.haproxy import RuntimeApi, RuntimeApiError
from dfaas_agent.haproxy.identifiers import function_backend
from dfaas_experiments.bench.proc import Usage, usage
from dfaas_experiments.bench.stats import Latency, Settling, forwarded_share_per_bin, settling
from dfaas_experiments.load.generator import Limits, Stream, run_load
from dfaas_experiments.records import Outcome, RequestRecord
from dfaas_experiments.schedule import Constant
from dfaas_testing import Federation, Node, wait_until

BODY = b"Hello DFaaS"
EXTRA_IMAGE = "shasum"  # the built-in that runs the function deployed and removed under load
Say = Callable[[str], None]


def _function_state(node: Node, function: str) -> dict[str, object] | None:
    status = node.status()
    if status is None:
        return None
    state: dict[str, object] | None = status["functions"].get(function)
    return state


def wait_for_plan(node: Node, function: str, local_limit: int, peers: set[str]) -> None:
    """Until the node's HAProxy enforces `local_limit` and weights exactly `peers` (sum 100)."""

    def armed() -> bool:
        state = _function_state(node, function)
        if state is None:
            return False
        weights = state["weights"]
        assert isinstance(weights, dict)
        return (
            state["local_limit"] == local_limit
            and set(weights) == peers
            and sum(weights.values()) == 100
        )

    wait_until(armed, f"{node.name}: local limit {local_limit} and weights towards {peers}")


def _has_in_layout(node: Node, peers: set[str]) -> bool:
    return peers <= node.in_layout()


def wait_for_members(federation: Federation) -> None:
    for node in federation.nodes:
        others = {other.peer_id for other in federation.nodes if other is not node}
        wait_until(
            partial(_has_in_layout, node, others),
            f"{node.name} to have every other member in its HAProxy layout",
        )


# --- forwarding overhead ------------------------------------------------------------------


@dataclass(frozen=True)
class Overhead:
    local_node: str
    forwarding_node: str
    samples: int
    local: Latency
    forwarded: Latency
    unexpected: dict[str, int]
    """Calls left out of the figures: `<kind>: status N` or `<kind>: served by X`."""
    served_by: dict[str, int]
    """Who ran the forwarded calls."""

    @property
    def p50_overhead_ms(self) -> float | None:
        if self.local.p50 is None or self.forwarded.p50 is None:
            return None
        return self.forwarded.p50 - self.local.p50

    @property
    def p99_overhead_ms(self) -> float | None:
        if self.local.p99 is None or self.forwarded.p99 is None:
            return None
        return self.forwarded.p99 - self.local.p99


def measure_overhead(
    federation: Federation,
    forwarding: Node,
    local: Node,
    *,
    function: str,
    samples: int,
    warmup: int,
    say: Say,
) -> Overhead:
    """Alternate calls: one local on `local`, one that `forwarding` (maxrate 0) forwards.

    Both go through a public port with a keep-alive client, one call at a time,
    so the two kinds see the same machine load.
    """
    forwarding.set_maxrate(function, 0)
    members = {node.peer_id for node in federation.nodes if node is not forwarding}
    wait_for_plan(forwarding, function, 0, members)
    say(f"overhead: {forwarding.name} forwards everything; {samples} calls of each kind")
    latencies: dict[str, list[float]] = {"local": [], "forwarded": []}
    unexpected: Counter[str] = Counter()
    served_by: Counter[str] = Counter()
    targets = {"local": local, "forwarded": forwarding}
    clients = {
        kind: httpx.Client(base_url=node.public_url, timeout=5.0) for kind, node in targets.items()
    }
    try:
        for index in range(warmup + samples):
            for kind, client in clients.items():
                start = time.perf_counter()
                response = client.post(f"/function/{function}", content=BODY)
                elapsed_ms = (time.perf_counter() - start) * 1000
                server = response.headers.get("X-Server", "")
                if response.status_code != 200:
                    unexpected[f"{kind}: status {response.status_code}"] += 1
                    continue
                expected = (
                    server == local.name if kind == "local" else server not in ("", forwarding.name)
                )
                if not expected:
                    unexpected[f"{kind}: served by {server or 'nobody'}"] += 1
                    continue
                if kind == "forwarded":
                    served_by[server] += 1
                if index >= warmup:
                    latencies[kind].append(elapsed_ms)
    finally:
        for client in clients.values():
            client.close()
    return Overhead(
        local_node=local.name,
        forwarding_node=forwarding.name,
        samples=samples,
        local=Latency.of(latencies["local"]),
        forwarded=Latency.of(latencies["forwarded"]),
        unexpected=dict(unexpected),
        served_by=dict(served_by),
    )


# --- agent footprint -----------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    node: str
    members: int
    window_s: float
    periods: float
    rss_bytes: int
    cpu_s: float

    @property
    def cpu_ms_per_period(self) -> float:
        return self.cpu_s / self.periods * 1000 if self.periods else 0.0


def footprint_between(
    node: Node, before: Usage, after: Usage, window_s: float, period_s: float
) -> Footprint:
    return Footprint(
        node=node.name,
        members=len(node.in_layout()),
        window_s=window_s,
        periods=window_s / period_s,
        rss_bytes=after.rss_bytes,
        cpu_s=after.cpu_s - before.cpu_s,
    )


def measure_idle_footprint(node: Node, window_s: float, period_s: float) -> Footprint:
    """The agent's RSS and CPU over `window_s` of steady periods with no client load."""
    pid = node.pid("agent")
    before, start = usage(pid), time.monotonic()
    time.sleep(window_s)
    after, window = usage(pid), time.monotonic() - start
    return footprint_between(node, before, after, window, period_s)


# --- reaction time ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reaction:
    node: str
    maxrate: float
    offered_rate: float
    duration_s: float
    outcomes: dict[str, int]
    first_forwarded_sent_s: float | None
    """Send time (from the overload onset at t = 0) of the first request another node served."""
    first_forwarded_done_s: float | None
    """When that request's answer came back."""
    settling: Settling
    shares: list[float | None]
    """Forwarded share of the served requests, per second."""
    footprint: Footprint
    """The overloaded node's agent during the run."""
    records: list[RequestRecord] = field(repr=False)

    @property
    def served_ratio(self) -> float | None:
        sent = sum(count for outcome, count in self.outcomes.items() if outcome != "dropped")
        return self.outcomes.get("ok", 0) / sent if sent else None


def constant_load(
    node: Node, function: str, rate: float, duration_s: float, body: bytes = BODY
) -> Stream:
    """Open-loop load of `function` at a constant rate on `node`'s public port."""
    return Stream(
        node=node.name,
        base_url=node.public_url,
        function=function,
        segments=[Constant(rate=rate, duration_s=duration_s)],
        body=body,
    )


def outcome_counts(records: Sequence[RequestRecord]) -> dict[str, int]:
    """Requests by outcome: `ok`, `status <code>`, `error <name>`..."""
    counts: Counter[str] = Counter()
    for record in records:
        key = str(record.outcome)
        if record.outcome is Outcome.HTTP_ERROR:
            key = f"status {record.status}"
        elif record.outcome is Outcome.ERROR:
            key = f"error {record.error}"
        counts[key] += 1
    return dict(counts)


def measure_reaction(
    federation: Federation,
    node: Node,
    *,
    function: str,
    maxrate: float,
    offered_rate: float,
    duration_s: float,
    period_s: float,
    tolerance: float,
    say: Say,
) -> Reaction:
    """Offer `offered_rate` > `maxrate` to `node` from t = 0 (open loop)."""
    node.set_maxrate(function, maxrate)
    members = {other.peer_id for other in federation.nodes if other is not node}
    wait_for_plan(node, function, int(maxrate), members)
    time.sleep(1.5)  # HAProxy's local rate window (1 s) starts empty at the onset
    say(
        f"reaction: {offered_rate:g} req/s to {node.name} (maxrate {maxrate:g})"
        f" for {duration_s:g} s"
    )
    stream = constant_load(node, function, offered_rate, duration_s)
    pid = node.pid("agent")
    before, start = usage(pid), time.monotonic()
    records = trio.run(run_load, [stream], Limits(timeout_s=5.0))
    after, window = usage(pid), time.monotonic() - start
    forwarded = [
        r for r in records if r.outcome is Outcome.OK and r.forwarded and r.sent_s is not None
    ]
    first = min(forwarded, key=lambda r: r.sent_s or 0.0, default=None)
    shares = forwarded_share_per_bin(records, 1.0, duration_s)
    return Reaction(
        node=node.name,
        maxrate=maxrate,
        offered_rate=offered_rate,
        duration_s=duration_s,
        outcomes=outcome_counts(records),
        first_forwarded_sent_s=None if first is None else first.sent_s,
        first_forwarded_done_s=(
            None
            if first is None or first.sent_s is None or first.latency_ms is None
            else first.sent_s + first.latency_ms / 1000
        ),
        settling=settling(shares, 1.0, tolerance),
        shares=shares,
        footprint=footprint_between(node, before, after, window, period_s),
        records=records,
    )


# --- hitless reload ------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutChange:
    at_s: float
    """Since the load started."""
    what: str
    took_s: float
    """Until the change was seen (reload done, or member in/out of the layouts)."""


@dataclass(frozen=True)
class ServerState:
    at_s: float
    """Since the load started."""
    server: str
    status: str
    weight: int | None


class _ServerWatch:
    """The member servers of one function backend, as HAProxy sees them, when they change.

    Failures during a reload are easier to explain next to the moments a member
    server was DOWN or had no weight in the forwarding node's HAProxy.
    """

    def __init__(self, node: Node, function: str, start: float) -> None:
        self.runtime = RuntimeApi(node.admin_socket, timeout_s=1.0)
        self.backend = function_backend(function)
        self.start = start
        self.changes: list[ServerState] = []
        self._last: dict[str, tuple[str, int | None]] = {}

    async def run(self, interval_s: float = 0.1) -> None:
        while True:
            try:
                rows = await self.runtime.show_stat()
            except RuntimeApiError:  # the worker is being replaced: ask again
                rows = []
            at = time.monotonic() - self.start
            for row in rows:
                if row.proxy != self.backend or not row.service.startswith("member_"):
                    continue
                state = (row.status, row.weight)
                if self._last.get(row.service) != state:
                    self._last[row.service] = state
                    self.changes.append(ServerState(at, row.service, row.status, row.weight))
            await trio.sleep(interval_s)


@dataclass(frozen=True)
class ReloadRun:
    rate_per_node: dict[str, float]
    duration_s: float
    changes: list[LayoutChange]
    reloads: dict[str, int]
    """HAProxy reloads per node during the run (master's count)."""
    outcomes: dict[str, int]
    forwarded: int
    """Served requests that another node than the one they were sent to ran."""
    failures: list[RequestRecord]
    watched: str
    """The node whose member servers were watched."""
    server_states: list[ServerState]
    records: list[RequestRecord] = field(repr=False)

    @property
    def failed(self) -> int:
        return len(self.failures)


class _Changes:
    """The layout changes made during the load, one after the other."""

    def __init__(self, federation: Federation, start: float, pause_s: float) -> None:
        self.federation = federation
        self.start = start
        self.pause_s = pause_s
        self.done: list[LayoutChange] = []

    def _timed(self, what: str, change: Callable[[], object], seen: Callable[[], bool]) -> None:
        time.sleep(self.pause_s)
        at = time.monotonic()
        change()
        wait_until(seen, what)
        self.done.append(LayoutChange(at - self.start, what, time.monotonic() - at))

    def _function_round(self, node: Node, function: str) -> None:
        before = node.haproxy_reloads()
        self._timed(
            f"deploy {function} on {node.name}",
            lambda: node.deploy(function, 10, image=EXTRA_IMAGE),
            lambda: node.haproxy_reloads() > before,
        )
        before = node.haproxy_reloads()
        self._timed(
            f"remove {function} from {node.name}",
            lambda: node.remove(function),
            lambda: node.haproxy_reloads() > before,
        )

    def run(self, first: Node, second: Node, leaving: Node) -> None:
        watchers = [node for node in self.federation.nodes if node is not leaving]
        self._function_round(first, "bench-extra")
        # Its server stays in the others' HAProxy (the layout follows the member list):
        # they stop and start weighing it, without a reload.
        self._timed(
            f"{leaving.name} agent stops (member leaves)",
            lambda: leaving.stop("agent"),
            lambda: all(leaving.peer_id not in node.fresh_members() for node in watchers),
        )
        self._timed(
            f"{leaving.name} agent starts (member joins)",
            leaving.start_agent,
            lambda: all(leaving.peer_id in node.fresh_members() for node in watchers),
        )
        self._function_round(second, "bench-extra")


def measure_reloads(
    federation: Federation,
    loaded: Sequence[Node],
    leaving: Node,
    *,
    rate_per_node: float,
    duration_s: float,
    pause_s: float,
    say: Say,
) -> ReloadRun:
    """Steady open-loop load on `loaded` while layouts change on every node."""
    say(
        f"reload: {rate_per_node:g} req/s to each of {[n.name for n in loaded]} for"
        f" {duration_s:g} s while functions come and go and {leaving.name} leaves and rejoins"
    )
    streams = [constant_load(node, "shasum", rate_per_node, duration_s) for node in loaded]
    reloads_before = {node.name: node.haproxy_reloads() for node in federation.nodes}
    start = time.monotonic()
    changes = _Changes(federation, start, pause_s)
    watch = _ServerWatch(loaded[0], "shasum", start)
    records: list[RequestRecord] = []

    async def load(stream: Stream) -> None:
        records.extend(await run_load([stream], Limits(timeout_s=5.0)))

    async def load_and_change() -> None:
        async with trio.open_nursery() as watching:
            watching.start_soon(watch.run)
            async with trio.open_nursery() as nursery:
                # One generator run per node: `run_load` with several streams sends every
                # request to the last stream (late-bound index in its merge, reported).
                for stream in streams:
                    nursery.start_soon(load, stream)
                await trio.to_thread.run_sync(changes.run, loaded[0], loaded[-1], leaving)
            watching.cancel_scope.cancel()

    trio.run(load_and_change)
    records.sort(key=lambda record: record.scheduled_s)
    reloads = {
        node.name: node.haproxy_reloads() - reloads_before[node.name] for node in federation.nodes
    }
    return ReloadRun(
        rate_per_node={node.name: rate_per_node for node in loaded},
        duration_s=duration_s,
        changes=changes.done,
        reloads=reloads,
        outcomes=outcome_counts(records),
        forwarded=sum(1 for r in records if r.outcome is Outcome.OK and r.forwarded),
        failures=[r for r in records if r.outcome in (Outcome.ERROR, Outcome.HTTP_ERROR)],
        watched=loaded[0].name,
        server_states=watch.changes,
        records=records,
    )
