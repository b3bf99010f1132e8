"""Node margin: share utilisation headroom, measured rather than predicted by trained models.

Utilisation is the node's CPU and RAM use relative to its thresholds (an
external forecast replaces the measurement where one is given). The prototype's
announced margin is kept for Go peers: 0 when overloaded or handing requests
over, else 100 minus the mean utilisation in percent, divided among the
neighbours that share a function.

Without the prototype's models the node estimates its own capacity from a
proportional cost model: if R req/s cost a fraction U of the binding threshold,
the node can run R / U req/s.

Handing over: whenever our clients offer more than that capacity (over the
threshold or not: a node that hands its excess over sits at its threshold and
must keep doing so), the excess of each function, in proportion to its offered
rate, is spread over the neighbours hosting it in proportion to the spare rate
each offered, and never more than that; what no neighbour can take stays here.
Peer weights are rounded down for the same reason.

Offering (`SpareRate`, our extension of the message): the room is the capacity
left after our own clients. Requests that peers already run here are not
subtracted, since the room is for them (subtracting them made a helper's offer
settle at a third of its room). The room is shared equally by the neighbours
in need, i.e. those that offer nothing (spare rate 0, or a Go peer's margin 0);
with none in need it is offered whole. So peers in need together never get
more than the room, however many there are; a neighbour that starts to need
help after our announcement can oversubscribe us for one period, after which
we are over the threshold, offer 0, and get less. A node that hands requests
over, or is over its threshold, offers 0. The spare rate is a share of the
room per neighbour in need, not a cap that shrinks as it is used: the analogue
of recalc's grants being reservations.

A Go peer announces only a margin: its spare rate is estimated as that share of
its capacity, taking our cost per request, i.e. margin percent of our capacity
scaled by its CPU threshold over ours. One of our nodes that cannot estimate its
capacity yet (no load to measure the cost of a request by) announces no spare
rate and is read the same way. Functions and peers are visited in sorted
order and rates are summed with `math.fsum`, so the plan does not depend on the
order of any mapping.
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
from dfaas_agent.strategies._shares import MAX_WEIGHT, candidate_peers, hosts_of
from dfaas_agent.strategies.spec import StrategySpec

NAME = "node_margin"

THRESHOLD_TOLERANCE = 1e-6
"""Relative: a node filled to its threshold up to float rounding is not over it."""


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
        return self.known and self.binding > 1.0 + THRESHOLD_TOLERANCE

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


def _client_rate(observation: Observation) -> float:
    return math.fsum(o.offered_rate for o in observation.functions.values())


def excess_rate(observation: Observation, capacity: float | None) -> float:
    """Req/s of our clients' requests beyond what this node can run at its threshold.

    Not gated on being over the threshold: a node that hands its excess over
    runs at its threshold, and must keep handing it over next period (gated, it
    would stop once relieved to its threshold and overload again the period
    after). Requests run for peers
    are not counted: when they overload us we announce no spare and the peers
    send less, rather than our clients being pushed out to other nodes.
    """
    if capacity is None:
        return 0.0
    return max(0.0, _client_rate(observation) - capacity)


def _peer_spare(peer: PeerInfo, capacity: float | None, settings: StrategySettings) -> float:
    """Req/s the peer offers us: its spare rate, else (a Go peer) its margin of its capacity."""
    if peer.spare_rate is not None:
        # Our agents: 0 when overloaded or handing over. The margin is not consulted:
        # a helper filled exactly to its threshold has margin 0 and still its room.
        return peer.spare_rate
    if peer.margin is None or peer.margin <= 0 or capacity is None:
        return 0.0
    # Its capacity, assuming our CPU cost per request: ours scaled by its CPU threshold.
    scale = 1.0
    thresholds = peer.max_values
    if thresholds is not None and thresholds.cpu_percent:
        scale = thresholds.cpu_percent / settings.cpu_threshold_percent
    return peer.margin / 100.0 * capacity * scale


def _in_need(peer: PeerInfo) -> bool:
    """The peer offers nothing: it hands requests over or is overloaded (maybe both)."""
    if peer.spare_rate is not None:
        return peer.spare_rate <= 0
    return peer.margin is not None and peer.margin <= 0


def _forwarding(
    observation: Observation,
    candidates: Mapping[str, PeerInfo],
    spare: Mapping[str, float],
    excess: float,
) -> dict[str, dict[str, float]]:
    """Req/s per function and peer to hand over; empty when nothing can move.

    Each function's share of the excess is spread over the peers hosting it in
    proportion to the spare rate each offered, never more than that (what no
    peer can take stays here). Proportional rather than most-spare-first, so
    that two nodes in need that read the same offers do not pick the same peer.
    """
    offered = {n: o.offered_rate for n, o in sorted(observation.functions.items())}
    total_offered = math.fsum(offered.values())
    if excess <= 0 or total_offered <= 0:
        return {}
    left = {peer: max(0.0, rate) for peer, rate in spare.items()}
    moves: dict[str, dict[str, float]] = {}
    for name, rate in offered.items():
        wanted = min(rate, excess * rate / total_offered)
        peers = [peer for peer in hosts_of(name, candidates) if left[peer] > 0]
        offer = math.fsum(left[peer] for peer in peers)
        if wanted <= 0 or offer <= 0:
            continue
        fraction = min(1.0, wanted / offer)
        for peer in peers:
            amount = min(left[peer], left[peer] * fraction)
            moves.setdefault(name, {})[peer] = amount
            left[peer] -= amount
    return moves


def _weights(local_share: float, moved: Mapping[str, float]) -> tuple[int, dict[str, int]]:
    """Integer weights: a peer's rounded down, so it never gets more than it offered."""
    whole = local_share + math.fsum(moved.values())
    if whole <= 0 or not moved:
        return MAX_WEIGHT, {}
    peer_weights = {
        peer: math.floor(amount * MAX_WEIGHT / whole) for peer, amount in sorted(moved.items())
    }
    peer_weights = {peer: weight for peer, weight in peer_weights.items() if weight > 0}
    return MAX_WEIGHT - sum(peer_weights.values()), peer_weights


def plan(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> Plan:
    candidates = candidate_peers(observation, peers, settings)
    usage = utilisation(observation, settings)
    capacity = capacity_rate(observation, usage)
    excess = excess_rate(observation, capacity)
    spare = {peer: _peer_spare(info, capacity, settings) for peer, info in candidates.items()}
    moves = _forwarding(observation, candidates, spare, excess)

    functions: dict[str, FunctionPlan] = {}
    for name, observed in sorted(observation.functions.items()):
        offered = observed.offered_rate
        moved = moves.get(name, {})
        local_weight, peer_weights = _weights(max(0.0, offered - math.fsum(moved.values())), moved)
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
        announcements=_announcements(
            observation, candidates, settings, usage, capacity, needs_help=excess > 0
        ),
    )


def _announcements(
    observation: Observation,
    candidates: Mapping[str, PeerInfo],
    settings: StrategySettings,
    usage: Utilisation,
    capacity: float | None,
    *,
    needs_help: bool,
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
    neighbours = [p for p in candidates.values() if ours & p.functions]
    if not neighbours:
        return (info,)
    margin = 0.0
    spare_rate: float | None = 0.0
    # A node that hands requests over, or runs over its threshold, offers nothing.
    if usage.known and not usage.overloaded and not needs_help:
        margin = max(0.0, 100.0 - usage.mean_percent) / len(neighbours)
        spare_rate = _spare_rate(observation, neighbours, capacity)
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


def _spare_rate(
    observation: Observation, neighbours: list[PeerInfo], capacity: float | None
) -> float | None:
    """Req/s each neighbour that needs help may send here; None when the capacity is unknown.

    The room is the capacity left after our own clients: requests that peers
    already run here are what the room is for, so they do not shrink it (they
    did, and the offer settled at a third of the room). It is shared equally by
    the neighbours in need (they hand requests over, or are overloaded), or
    offered whole when none is.
    """
    if capacity is None:
        return None
    room = max(0.0, capacity - _client_rate(observation))
    in_need = sum(1 for p in neighbours if _in_need(p))
    return room / max(1, in_need)


SPEC = StrategySpec(NAME, plan, aliases=("nodemarginstrategy",), reads_node_usage=True)
