"""Load-sharing strategies: pure functions from observations and peers to a plan.

Every strategy module exposes `NAME` and
`plan(observation, peers, settings) -> Plan`; `resolve` finds one by its
canonical name or the prototype's alias (`recalcstrategy`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dfaas_agent.model import Observation, PeerInfo, Plan, StrategySettings
from dfaas_agent.strategies import all_local, node_margin, recalc, static

Strategy = Callable[[Observation, Mapping[str, PeerInfo], StrategySettings], Plan]

STRATEGIES: Mapping[str, Strategy] = {
    recalc.NAME: recalc.plan,
    node_margin.NAME: node_margin.plan,
    static.NAME: static.plan,
    all_local.NAME: all_local.plan,
}

ALIASES: Mapping[str, str] = {
    "recalcstrategy": recalc.NAME,
    "nodemarginstrategy": node_margin.NAME,
    "staticstrategy": static.NAME,
    "alllocalstrategy": all_local.NAME,
}


class UnknownStrategy(ValueError):
    """No strategy has this name or alias."""


def canonical_name(name: str) -> str:
    """The canonical name for a canonical name or an alias (case-insensitive)."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in STRATEGIES:
        raise UnknownStrategy(
            f"unknown strategy {name!r}; expected one of {', '.join(STRATEGIES)} "
            f"(or {', '.join(ALIASES)})"
        )
    return key


def resolve(name: str) -> Strategy:
    """The strategy for a canonical name or an alias."""
    return STRATEGIES[canonical_name(name)]
