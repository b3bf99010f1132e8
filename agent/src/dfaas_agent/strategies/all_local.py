"""All local: every request runs on this node; nothing is forwarded or announced."""

from __future__ import annotations

from collections.abc import Mapping

from dfaas_agent.model import FunctionPlan, Observation, PeerInfo, Plan, StrategySettings
from dfaas_agent.strategies._shares import MAX_WEIGHT
from dfaas_agent.strategies.spec import StrategySpec

NAME = "all_local"


def plan(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> Plan:
    functions = {
        name: FunctionPlan(
            local_limit=None,
            local_weight=MAX_WEIGHT,
            peer_weights={},
            admitted_rates={},
            local_rate=observed.offered_rate,
            forward_rates={},
            timeout_ms=observed.timeout_ms,
        )
        for name, observed in sorted(observation.functions.items())
    }
    return Plan(strategy=NAME, functions=functions)


SPEC = StrategySpec(NAME, plan, aliases=("alllocalstrategy",), forwards=False)
