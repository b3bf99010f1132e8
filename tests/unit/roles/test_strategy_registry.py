"""The agent role's strategy names follow the agent's own registry (one home: the registry)."""

from __future__ import annotations

from pathlib import Path

import yaml
from dfaas_agent.strategies import REGISTRY

ROLE_VARS = Path(__file__).parents[3] / "roles" / "agent" / "vars" / "main.yml"


def _role_vars() -> dict[str, list[str]]:
    document: dict[str, list[str]] = yaml.safe_load(ROLE_VARS.read_text())
    return document


def test_the_role_accepts_exactly_the_registrys_names_and_aliases() -> None:
    names = {name for spec in REGISTRY.values() for name in (spec.name, *spec.aliases)}
    assert set(_role_vars()["dfaas_agent_strategy_names"]) == names


def test_the_role_knows_which_strategies_do_not_forward() -> None:
    quiet = {
        name
        for spec in REGISTRY.values()
        if not spec.forwards
        for name in (spec.name, *spec.aliases)
    }
    assert set(_role_vars()["dfaas_agent_strategies_without_forwarding"]) == quiet
