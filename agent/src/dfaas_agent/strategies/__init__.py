"""Load-sharing strategies: pure functions from observations and peers to a plan.

Every strategy module exposes `NAME`, `plan(observation, peers, settings) -> Plan`
and `SPEC`, its traits (`StrategySpec`); `REGISTRY` holds them. `resolve` finds a
strategy by its canonical name or an alias (`recalcstrategy`, ...), `spec_of` its
traits.
"""

from __future__ import annotations

from collections.abc import Mapping

from dfaas_agent.strategies import all_local, external, node_margin, recalc, static
from dfaas_agent.strategies.spec import Strategy, StrategySpec

REGISTRY: Mapping[str, StrategySpec] = {
    spec.name: spec
    for spec in (recalc.SPEC, node_margin.SPEC, static.SPEC, all_local.SPEC, external.SPEC)
}

STRATEGIES: Mapping[str, Strategy] = {name: spec.plan for name, spec in REGISTRY.items()}

ALIASES: Mapping[str, str] = {
    alias: spec.name for spec in REGISTRY.values() for alias in spec.aliases
}

__all__ = [
    "ALIASES",
    "REGISTRY",
    "STRATEGIES",
    "Strategy",
    "StrategySpec",
    "UnknownStrategy",
    "canonical_name",
    "resolve",
    "spec_of",
]


class UnknownStrategy(ValueError):
    """No strategy has this name or alias."""


def canonical_name(name: str) -> str:
    """The canonical name for a canonical name or an alias (case-insensitive)."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in REGISTRY:
        raise UnknownStrategy(
            f"unknown strategy {name!r}; expected one of {', '.join(REGISTRY)} "
            f"(or {', '.join(ALIASES)})"
        )
    return key


def spec_of(name: str) -> StrategySpec:
    """The traits of a strategy, by canonical name or alias."""
    return REGISTRY[canonical_name(name)]


def resolve(name: str) -> Strategy:
    """The strategy for a canonical name or an alias."""
    return spec_of(name).plan
