"""Recalc: capacity exchange by `dfaas.maxrate` (the CloudNet 2021 algorithm).

Each node grants every peer that hosts a function an equal share of its spare
capacity for it (capacity - offered client rate) and announces the grants. The
capacity is `dfaas.maxrate` where the label is set, else what the function's
execution slots were measured to run (slots / average call time). An
overloaded node runs up to maxrate itself and splits the excess among the
peers in proportion to what they granted it.

Fixed against the prototype: grants and limits are floats (no truncation),
weights are rounded so that they sum to exactly 100, the announcement lists
exactly our functions for every recipient, and a peer is only sent a function
it hosts. One call per period: grants are announced now and weights use the
latest grants received (the prototype staggered the two by half a period).
"""

from __future__ import annotations

from collections.abc import Mapping

from dfaas_agent.messages import NodeInfoRecalc
from dfaas_agent.model import (
    FunctionObservation,
    FunctionPlan,
    Observation,
    PeerInfo,
    Plan,
    StrategySettings,
)
from dfaas_agent.strategies._shares import (
    MAX_WEIGHT,
    apportion,
    candidate_peers,
    hosts_of,
    split,
)
from dfaas_agent.strategies.spec import StrategySpec

NAME = "recalc"


def _function_plan(
    observed: FunctionObservation, hosts: list[str], candidates: Mapping[str, PeerInfo], name: str
) -> FunctionPlan:
    offered = observed.offered_rate
    capacity = observed.capacity
    if capacity is None:
        # With no capacity known there is nothing to exchange: run everything here.
        return FunctionPlan(
            local_limit=None,
            local_weight=MAX_WEIGHT,
            peer_weights={},
            admitted_rates={},
            local_rate=offered,
            forward_rates={},
            timeout_ms=observed.timeout_ms,
        )
    spare = max(0.0, capacity - offered)
    admitted = _grants(spare, hosts, observed.executed_for_peers)
    granted = {
        peer: candidates[peer].granted_to_us.get(name, 0.0)
        for peer in hosts
        if candidates[peer].granted_to_us.get(name, 0.0) > 0
    }
    weights = {peer: weight for peer, weight in apportion(MAX_WEIGHT, granted).items() if weight}
    excess = max(0.0, offered - capacity)
    return FunctionPlan(
        local_limit=capacity,
        local_weight=0,
        peer_weights=weights,
        admitted_rates=admitted,
        local_rate=min(offered, capacity),
        forward_rates=split(excess, weights),
        timeout_ms=observed.timeout_ms,
    )


# Share of the spare capacity granted in equal parts; the rest follows demand.
EQUAL_SHARE = 0.5


def _grants(spare: float, hosts: list[str], ran_for: Mapping[str, float]) -> dict[str, float]:
    """The spare capacity split among the members that host the function: half in equal
    parts (a member whose load just rose can count on some at once), half in proportion
    to what this node ran for each member last period (so that the members that need it
    get it, instead of stranding it with idle ones). Without demand, equal parts."""
    if not hosts:
        return {}
    demand = {peer: max(0.0, ran_for.get(peer, 0.0)) for peer in hosts}
    whole = sum(demand.values())
    if whole <= 0:
        return {peer: spare / len(hosts) for peer in hosts}
    equal = spare * EQUAL_SHARE / len(hosts)
    rest = spare * (1 - EQUAL_SHARE)
    return {peer: equal + rest * demand[peer] / whole for peer in hosts}


def plan(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> Plan:
    candidates = candidate_peers(observation, peers, settings)
    functions = {
        name: _function_plan(observed, hosts_of(name, candidates), candidates, name)
        for name, observed in sorted(observation.functions.items())
    }
    announcements: tuple[NodeInfoRecalc, ...] = ()
    if settings.node_ip is not None:
        recipients = sorted((set(candidates) | settings.members) - {observation.peer_id})
        # Every recipient gets every function of ours (0 where nothing is granted to it),
        # so that the keys tell it exactly which functions we host.
        func_limits = {
            recipient: {
                name: function_plan.admitted_rates.get(recipient, 0.0)
                for name, function_plan in functions.items()
            }
            for recipient in recipients
        }
        announcements = (
            NodeInfoRecalc(
                host=settings.node_ip,
                port=settings.public_port,
                func_limits=func_limits,
                functions=sorted(functions),
            ),
        )
    return Plan(strategy=NAME, functions=functions, announcements=announcements)


SPEC = StrategySpec(NAME, plan, aliases=("recalcstrategy",), validity_periods=1.2)
