"""Figures of one run (one strategy): served ratio, latency, reaction time, forwarded share.

Requests the generator dropped (too many in flight) never reached the system:
they are counted apart and left out of the served ratios.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dfaas_experiments.oracle import OracleSummary, capacities, oracle_summary
from dfaas_experiments.records import Outcome, RequestRecord
from dfaas_experiments.scenario import Scenario
from dfaas_experiments.schedule import duration_of, rate_at
from dfaas_experiments.server_latency import ServerLatency

ONSET_RESOLUTION_S = 0.05
ORACLE_BIN_S = 1.0


@dataclass(frozen=True, slots=True)
class Latency:
    """Latency percentiles in ms (linear interpolation between samples); None when no sample."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None

    @classmethod
    def of(cls, samples: Sequence[float]) -> Latency:
        if not samples:
            return cls(0, None, None, None)
        p50, p95, p99 = np.percentile(np.asarray(samples, dtype=float), [50, 95, 99])
        return cls(len(samples), float(p50), float(p95), float(p99))


@dataclass(frozen=True, slots=True)
class Served:
    """Requests sent to a node (or to all nodes) and what became of them."""

    sent: int
    served: int
    forwarded: int
    """Served by another node than the one they were sent to."""
    dropped: int
    """Not sent: the generator had too many requests in flight."""

    @property
    def served_ratio(self) -> float | None:
        return self.served / self.sent if self.sent else None

    @property
    def forwarded_share(self) -> float | None:
        """Share of the served requests that another node ran."""
        return self.forwarded / self.served if self.served else None

    @classmethod
    def of(cls, records: Sequence[RequestRecord]) -> Served:
        ok = [r for r in records if r.outcome is Outcome.OK]
        return cls(
            sent=sum(1 for r in records if r.outcome is not Outcome.DROPPED),
            served=len(ok),
            forwarded=sum(1 for r in ok if r.forwarded),
            dropped=sum(1 for r in records if r.outcome is Outcome.DROPPED),
        )


@dataclass(frozen=True, slots=True)
class Reaction:
    """How long an overloaded node took to get help."""

    node: str
    onset_s: float
    """When the overload began: from the scenario, else the first failed request."""
    first_forwarded_s: float | None
    """Send time of the first request served elsewhere at or after the onset."""

    @property
    def delay_s(self) -> float | None:
        if self.first_forwarded_s is None:
            return None
        return self.first_forwarded_s - self.onset_s


@dataclass(frozen=True, slots=True)
class RunSummary:
    strategy: str
    overall: Served
    per_node: Mapping[str, Served]
    latency_local: Latency
    latency_forwarded: Latency
    reactions: tuple[Reaction, ...]
    send_lag: Latency
    """How late requests left against their schedule (ms): high values mean the
    generator itself could not keep up and the offered load was lower than planned."""
    oracle: OracleSummary | None = None
    """The run against the most the federation could have served (`oracle`), in
    `ORACLE_BIN_S` bins; None without a scenario, which gives the capacities."""
    server_latency: tuple[ServerSideLatency, ...] = ()
    """Per node whose Prometheus was exported, route and server: what the node's HAProxy
    measured, beside what the client measured for the same requests."""


@dataclass(frozen=True, slots=True)
class ServerSideLatency:
    """One node's clients' requests served by one route and server, seen from both ends."""

    node: str
    """The node the requests were sent to, whose HAProxy measured `server_side`."""
    server_side: ServerLatency
    client_side: Latency
    """The same requests (sent to `node`, served by `server_side.server`) as the load
    generator measured them: larger by the client's connection and network time."""


def server_side_latency(
    node: str, figures: Sequence[ServerLatency], records: Sequence[RequestRecord]
) -> tuple[ServerSideLatency, ...]:
    """`figures` from `node`'s Prometheus, each beside the client's view of its requests."""
    return tuple(
        ServerSideLatency(
            node,
            figure,
            Latency.of(
                [
                    r.latency_ms
                    for r in records
                    if r.node == node
                    and r.outcome is Outcome.OK
                    and r.latency_ms is not None
                    and (r.served_by or r.node) == figure.server
                ]
            ),
        )
        for figure in figures
    )


def overload_onsets(scenario: Scenario) -> dict[str, float]:
    """Per node, the first time its offered rate for a function exceeds its capacity."""
    onsets: dict[str, float] = {}
    limits = capacities(scenario)
    for entry in scenario.load:
        capacity = limits[(entry.node, entry.function)]
        if capacity is None:
            continue
        steps = int(duration_of(entry.segments) / ONSET_RESOLUTION_S)
        for index in range(steps):
            time_s = index * ONSET_RESOLUTION_S
            if rate_at(entry.segments, time_s) > capacity:
                onsets[entry.node] = min(onsets.get(entry.node, time_s), time_s)
                break
    return onsets


def _observed_onsets(records: Sequence[RequestRecord]) -> dict[str, float]:
    onsets: dict[str, float] = {}
    for record in records:
        if record.outcome in (Outcome.HTTP_ERROR, Outcome.ERROR) and record.node not in onsets:
            onsets[record.node] = record.scheduled_s
    return onsets


def reactions(
    records: Sequence[RequestRecord], onsets: Mapping[str, float]
) -> tuple[Reaction, ...]:
    found = []
    for node, onset in sorted(onsets.items()):
        forwarded = [
            r.scheduled_s
            for r in records
            if r.node == node and r.outcome is Outcome.OK and r.forwarded and r.scheduled_s >= onset
        ]
        found.append(Reaction(node, onset, min(forwarded) if forwarded else None))
    return tuple(found)


def summarise(
    strategy: str, records: Sequence[RequestRecord], scenario: Scenario | None = None
) -> RunSummary:
    by_node: dict[str, list[RequestRecord]] = defaultdict(list)
    for record in records:
        by_node[record.node].append(record)
    local: list[float] = []
    forwarded: list[float] = []
    for record in records:
        if record.outcome is Outcome.OK and record.latency_ms is not None:
            (forwarded if record.forwarded else local).append(record.latency_ms)
    onsets = overload_onsets(scenario) if scenario is not None else _observed_onsets(records)
    return RunSummary(
        strategy=strategy,
        overall=Served.of(records),
        per_node={node: Served.of(by_node[node]) for node in sorted(by_node)},
        latency_local=Latency.of(local),
        latency_forwarded=Latency.of(forwarded),
        reactions=reactions(records, onsets),
        send_lag=Latency.of(
            [(r.sent_s - r.scheduled_s) * 1000 for r in records if r.sent_s is not None]
        ),
        oracle=None
        if scenario is None
        else oracle_summary(
            records, scenario, ORACLE_BIN_S, min(onsets.values()) if onsets else None
        ),
    )


def served_per_second(
    records: Sequence[RequestRecord], bin_s: float = 1.0
) -> dict[str, tuple[list[float], list[float]]]:
    """Per serving node: (bin start times, served req/s), binned by send time."""
    if not records:
        return {}
    bins = int(max(r.scheduled_s for r in records) // bin_s) + 1
    counts: dict[str, list[float]] = defaultdict(lambda: [0.0] * bins)
    for record in records:
        if record.outcome is Outcome.OK:
            counts[record.served_by or record.node][int(record.scheduled_s // bin_s)] += 1
    times = [index * bin_s for index in range(bins)]
    return {node: (times, [c / bin_s for c in values]) for node, values in sorted(counts.items())}


def success_ratio_over_time(
    records: Sequence[RequestRecord], bin_s: float = 5.0
) -> tuple[list[float], list[float]]:
    """(bin start times, served / sent) for the bins where something was sent."""
    sent: dict[int, int] = defaultdict(int)
    served: dict[int, int] = defaultdict(int)
    for record in records:
        if record.outcome is Outcome.DROPPED:
            continue
        index = int(record.scheduled_s // bin_s)
        sent[index] += 1
        served[index] += record.outcome is Outcome.OK
    indexes = sorted(sent)
    return [i * bin_s for i in indexes], [served[i] / sent[i] for i in indexes]
