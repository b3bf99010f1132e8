"""Strategy registry: canonical names and the prototype's aliases."""

from __future__ import annotations

import pytest

from dfaas_agent.strategies import (
    STRATEGIES,
    UnknownStrategy,
    all_local,
    node_margin,
    recalc,
    resolve,
    static,
)


@pytest.mark.parametrize(
    ("name", "module_plan"),
    [
        ("recalc", recalc.plan),
        ("recalcstrategy", recalc.plan),
        ("node_margin", node_margin.plan),
        ("nodemarginstrategy", node_margin.plan),
        ("static", static.plan),
        ("staticstrategy", static.plan),
        ("all_local", all_local.plan),
        ("AllLocalStrategy", all_local.plan),
    ],
)
def test_names_and_aliases_resolve_to_their_strategy(name: str, module_plan: object) -> None:
    assert resolve(name) is module_plan


def test_registry_holds_the_five_canonical_names() -> None:
    assert set(STRATEGIES) == {"recalc", "node_margin", "static", "all_local", "external"}


def test_unknown_name_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(UnknownStrategy, match="expected one of recalc, node_margin"):
        resolve("rlagentstrategy")
