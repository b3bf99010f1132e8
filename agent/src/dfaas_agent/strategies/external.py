"""External: a policy endpoint (a trained model, say) splits each function's requests.

Every period the control loop sends the observation to the configured endpoint
(`dfaas_agent.policy`) and puts the checked answer, one `FunctionShares` per
function, into `Observation.shares`; this function stays pure. The fallback
strategy (`StrategySettings.fallback_strategy`, recalc by default) always plans
too: its announcements are what this node announces (so members' announced room
means the same whether the policy answers or not), and its grants are what this
node admits from members. When the observation carries no shares (the endpoint
was slow, down or answered nonsense) its plan is used whole, under its own name.

Shares become the plan that HAProxy applies, for offered client rate R:

- weights: `local` and each member's share, rounded to integer weights that sum to
  `MAX_WEIGHT` (the reject share takes no weight); a member that is no longer a
  reachable host of the function gets none;
- local limit: with no reject share, none (as static's split: HAProxy runs
  `local` x R here and spreads the rest over the members by weight; everything
  runs here when no member has weight, or when R was 0); with a reject share,
  `local` x R, so that what exceeds it goes to the members by weight and, when no
  member has a share, is refused (503). With members that have shares, the reject
  share goes to them too: HAProxy cannot cap a function's forwarded rate here, so
  it is refused by the members (beyond the grants they announced) rather than here.
"""

from __future__ import annotations

from collections.abc import Mapping

from dfaas_agent import strategies as registry
from dfaas_agent.model import (
    SHARES_TOLERANCE,
    FunctionObservation,
    FunctionPlan,
    FunctionShares,
    Observation,
    PeerInfo,
    Plan,
    StrategySettings,
)
from dfaas_agent.strategies._shares import MAX_WEIGHT, apportion, candidate_peers, hosts_of
from dfaas_agent.strategies.spec import StrategySpec

NAME = "external"

_LOCAL = ""
"""The local share's key among the members' peer IDs when apportioning (no peer ID is empty)."""


def _function_plan(
    observed: FunctionObservation,
    shares: FunctionShares,
    hosts: list[str],
    fallback: FunctionPlan | None,
) -> FunctionPlan:
    members = {peer: share for peer, share in shares.members.items() if peer in hosts}
    weights = apportion(MAX_WEIGHT, {_LOCAL: shares.local, **members})
    local_weight = weights.pop(_LOCAL)
    offered = observed.offered_rate
    rejects = shares.reject > SHARES_TOLERANCE and offered > 0
    return FunctionPlan(
        local_limit=shares.local * offered if rejects else None,
        local_weight=local_weight,
        peer_weights={peer: weight for peer, weight in weights.items() if weight > 0},
        admitted_rates=dict(fallback.admitted_rates) if fallback else {},
        local_rate=shares.local * offered,
        forward_rates={peer: share * offered for peer, share in members.items() if share > 0},
        timeout_ms=observed.timeout_ms,
    )


def plan(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> Plan:
    fallback = registry.resolve(settings.fallback_strategy)(observation, peers, settings)
    if observation.shares is None:
        return fallback
    candidates = candidate_peers(observation, peers, settings)
    functions: dict[str, FunctionPlan] = {}
    for name, observed in sorted(observation.functions.items()):
        shares = observation.shares.get(name)
        if shares is None:  # not in the answer: the fallback's plan for it
            functions[name] = fallback.functions[name]
            continue
        functions[name] = _function_plan(
            observed, shares, hosts_of(name, candidates), fallback.functions.get(name)
        )
    return Plan(strategy=NAME, functions=functions, announcements=fallback.announcements)


SPEC = StrategySpec(NAME, plan)
