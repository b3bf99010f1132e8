"""Assemble one period's `Observation` from HAProxy counters, Prometheus and the gateway.

Request rates come from HAProxy's cumulative counters: `delta / elapsed` between
two readings. Per-period tuning never reloads HAProxy, so the counters keep
growing; a reload (new members or functions) starts a new worker whose counters
start from zero, so the meter is told to take a fresh baseline then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dfaas_agent.function_runtime import DeployedFunction
from dfaas_agent.haproxy import (
    FunctionTraffic,
    ProxyLayout,
    RequestCounters,
    function_traffic,
    rates_between,
)
from dfaas_agent.model import FunctionObservation, Observation
from dfaas_agent.usage import NodeUsage


class TrafficMeter:
    """Per-function request rates between successive counter readings."""

    def __init__(self) -> None:
        self._baseline: RequestCounters | None = None
        self._last: dict[str, FunctionTraffic] = {}

    def restart(self, counters: RequestCounters | None) -> None:
        """Counters restarted (HAProxy reload): measure from `counters` (None: next reading)."""
        self._baseline = counters

    def measure(self, counters: RequestCounters, layout: ProxyLayout) -> dict[str, FunctionTraffic]:
        """Rates since the previous reading; the last known rates when there is none.

        The first reading ever only sets the baseline; it reports no traffic.
        """
        baseline, self._baseline = self._baseline, counters
        if baseline is None or counters.taken_at <= baseline.taken_at:
            return {name: self._last[name] for name in _names(layout) if name in self._last}
        self._last = function_traffic(layout, rates_between(baseline, counters))
        return dict(self._last)

    def last(self) -> Mapping[str, FunctionTraffic]:
        """The rates of the last measured period, when HAProxy cannot be read now."""
        return dict(self._last)


def _names(layout: ProxyLayout) -> list[str]:
    return [function.name for function in layout.functions]


@dataclass(frozen=True)
class ObservationInputs:
    """What the control loop could read this period; None where a component was down."""

    functions: Iterable[DeployedFunction]
    traffic: Mapping[str, FunctionTraffic]
    usage: NodeUsage | None


def assemble_observation(peer_id: str, inputs: ObservationInputs) -> Observation:
    """The strategy's view of this node: a function without traffic data has rate 0."""
    functions = {}
    for function in inputs.functions:
        traffic = inputs.traffic.get(function.name)
        functions[function.name] = FunctionObservation(
            maxrate=function.maxrate,
            timeout_ms=function.timeout_ms,
            offered_rate=traffic.client_rate if traffic else 0.0,
            executed_for_peers=dict(traffic.from_members_rates) if traffic else {},
            executed_rate=traffic.executed_here_rate if traffic else None,
            slots=function.slots,
            service_time_s=traffic.service_time_s if traffic else None,
            local_rate=traffic.local_rate if traffic else None,
            forwarded_rates=dict(traffic.forwarded_rates) if traffic else {},
        )
    usage = inputs.usage
    return Observation(
        peer_id=peer_id,
        functions=functions,
        cpu_percent=usage.cpu_percent if usage else None,
        ram_bytes=usage.ram_bytes if usage else None,
    )
