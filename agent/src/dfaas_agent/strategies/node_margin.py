"""Node margin: share utilisation headroom, measured rather than predicted by trained models.

Utilisation is the node's CPU and RAM use relative to its thresholds (an
external forecast replaces the measurement where one is given). The prototype's
announced margin is kept for Go peers: 0 when overloaded, else 100 minus the
mean utilisation in percent, divided among the neighbours that share a function.

Without the prototype's models the node estimates its own capacity from a
proportional cost model: if R req/s cost a fraction U of the binding threshold,
the node can run R / U req/s. It announces the spare part of that capacity per
neighbour (`SpareRate`). An overloaded node keeps what its capacity allows
(after the requests it runs for peers), and hands the excess of each function,
in proportion to its offered rate, greedily to the neighbours hosting that
function with the most spare capacity left. A Go peer announces only a margin;
its spare rate is estimated as margin percent of our own capacity (same cost
per request assumed). Functions and peers are visited in sorted order and rates are summed with
`math.fsum`, so the plan does not depend on the order of any mapping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from dfaas_agent.messages import Load, MaxValues, NodeInfoNMS, NodeMarginInfoNMS
from dfaas_agent.model import (
    FunctionPlan,
    GroupLoad,
    Observation,
    PeerInfo,
    Plan,
    StrategySettings,
    UsageGroup,
)
from dfaas_agent.strategies._shares import MAX_WEIGHT, apportion, candidate_peers, hosts_of

NAME = "node_margin"


@dataclass(frozen=True, slots=True)
class Utilisation:
    """Usage relative to the thresholds (1.0 = at the threshold), per known resource."""

    ratios: tuple[float, ...]

    @property
    def known(self) -> bool:
        return bool(self.ratios)

    @property
    def binding(self) -> float:
        """The resource closest to (or furthest over) its threshold."""
        return max(self.ratios)

    @property
    def overloaded(self) -> bool:
        return self.known and self.binding > 1.0

    @property
    def mean_percent(self) -> float:
        return 100.0 * math.fsum(self.ratios) / len(self.ratios)


def utilisation(observation: Observation, settings: StrategySettings) -> Utilisation:
    forecast = observation.forecast
    cpu = observation.cpu_percent
    ram = observation.ram_bytes
    power = None
    if forecast is not None:
        cpu = forecast.cpu_percent if forecast.cpu_percent is not None else cpu
        ram = forecast.ram_bytes if forecast.ram_bytes is not None else ram
        power = forecast.power_microwatts
    ratios = []
    if cpu is not None:
        ratios.append(cpu / settings.cpu_threshold_percent)
    if ram is not None:
        ratios.append(ram / settings.ram_threshold_bytes)
    if power is not None:
        ratios.append(power / settings.power_threshold_microwatts)
    return Utilisation(tuple(ratios))


def capacity_rate(observation: Observation, usage: Utilisation) -> float | None:
    """Req/s this node can run at its binding threshold, or None when unknown."""
    load = math.fsum(observed.load_rate for observed in observation.functions.values())
    if not usage.known or load <= 0 or usage.binding <= 0:
        return None
    capacity = load / usage.binding
    # A utilisation too close to zero says nothing about the cost of a request.
    return capacity if math.isfinite(capacity) else None


def group_load(observation: Observation, settings: StrategySettings) -> GroupLoad:
    sums = dict.fromkeys(UsageGroup, 0.0)
    for name, observed in sorted(observation.functions.items()):
        sums[settings.group_of(name)] += observed.offered_rate
    return GroupLoad(
        high=sums[UsageGroup.HIGH], medium=sums[UsageGroup.MEDIUM], low=sums[UsageGroup.LOW]
    )


def _peer_spare(peer: PeerInfo, capacity: float | None) -> float:
    if peer.margin is None or peer.margin <= 0:
        return 0.0
    if peer.spare_rate is not None:
        return peer.spare_rate
    return 0.0 if capacity is None else peer.margin / 100.0 * capacity


def _forwarding(
    observation: Observation,
    candidates: Mapping[str, PeerInfo],
    capacity: float | None,
) -> dict[str, dict[str, float]]:
    """Req/s per function and peer to hand over; empty when nothing can move."""
    offered = {n: o.offered_rate for n, o in sorted(observation.functions.items())}
    total_offered = math.fsum(offered.values())
    if capacity is None or total_offered <= 0:
        return {}
    peer_load = math.fsum(o.peer_rate for o in observation.functions.values())
    keep = max(0.0, capacity - peer_load)
    excess = max(0.0, total_offered - keep)
    spare = {peer: _peer_spare(info, capacity) for peer, info in candidates.items()}
    moves: dict[str, dict[str, float]] = {}
    for name, rate in offered.items():
        left = excess * rate / total_offered
        for peer in sorted(hosts_of(name, candidates), key=lambda p: (-spare[p], p)):
            if left <= 0:
                break
            amount = min(left, spare[peer])
            if amount > 0:
                moves.setdefault(name, {})[peer] = amount
                spare[peer] -= amount
                left -= amount
    return moves


def plan(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> Plan:
    candidates = candidate_peers(observation, peers, settings)
    usage = utilisation(observation, settings)
    capacity = capacity_rate(observation, usage)
    moves = _forwarding(observation, candidates, capacity) if usage.overloaded else {}

    functions: dict[str, FunctionPlan] = {}
    for name, observed in sorted(observation.functions.items()):
        offered = observed.offered_rate
        moved = moves.get(name, {})
        shares = {peer: amount for peer, amount in moved.items()}
        local_share = max(0.0, offered - math.fsum(moved.values()))
        # The local server is keyed by our own peer ID, which no peer can share.
        weights = apportion(MAX_WEIGHT, {observation.peer_id: local_share, **shares})
        local_weight = weights.pop(observation.peer_id) if moved else MAX_WEIGHT
        peer_weights = {p: w for p, w in weights.items() if w > 0} if moved else {}
        functions[name] = FunctionPlan(
            local_limit=None,
            local_weight=local_weight,
            peer_weights=peer_weights,
            admitted_rates={},
            local_rate=offered * local_weight / MAX_WEIGHT,
            forward_rates={p: offered * w / MAX_WEIGHT for p, w in peer_weights.items()},
            timeout_ms=observed.timeout_ms,
        )

    return Plan(
        strategy=NAME,
        functions=functions,
        announcements=_announcements(observation, candidates, settings, usage, capacity),
    )


def _announcements(
    observation: Observation,
    candidates: Mapping[str, PeerInfo],
    settings: StrategySettings,
    usage: Utilisation,
    capacity: float | None,
) -> tuple[NodeInfoNMS | NodeMarginInfoNMS, ...]:
    if settings.node_ip is None:
        return ()
    info = NodeInfoNMS(
        host=settings.node_ip,
        port=settings.public_port,
        node_type=settings.node_type,
        max_values=MaxValues(
            cpu_usage_node=settings.cpu_threshold_percent,
            ram_usage_node=settings.ram_threshold_bytes,
            power_usage_node=settings.power_threshold_microwatts,
        ),
        functions=sorted(observation.functions),
    )
    # Recomputed every period (the prototype never cleared its "common neighbour" flag).
    ours = set(observation.functions)
    neighbours = [peer for peer, p in candidates.items() if ours & p.functions]
    if not neighbours:
        return (info,)
    margin = 0.0
    spare_rate: float | None = None
    if usage.known and not usage.overloaded:
        margin = max(0.0, 100.0 - usage.mean_percent) / len(neighbours)
        if capacity is not None:
            running = math.fsum(o.load_rate for o in observation.functions.values())
            spare_rate = max(0.0, capacity - running) / len(neighbours)
    elif usage.overloaded:
        spare_rate = 0.0
    load = group_load(observation, settings) if margin > 0 else GroupLoad()
    margin_info = NodeMarginInfoNMS(
        margin=margin,
        load=Load(
            rate_high_usage=load.high,
            rate_medium_usage=load.medium,
            rate_low_usage=load.low,
        ),
        spare_rate=spare_rate,
    )
    return (info, margin_info)
