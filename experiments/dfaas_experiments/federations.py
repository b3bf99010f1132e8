"""Federations for the simulator: from a scenario file, or a seeded synthetic one."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dfaas_experiments.scenario import Scenario
from dfaas_experiments.schedule import arrivals_until
from dfaas_experiments.simulator import Federation, SimFunction, SimNode


def _address(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def from_scenario(scenario: Scenario, warmup_periods: int = 2) -> Federation:
    """Every scenario node federates with every other one (a full mesh, as in the paper)."""
    names = sorted(scenario.nodes)
    nodes = {
        name: SimNode(
            name=name,
            address=_address(index + 1),
            functions={
                function: SimFunction(spec.maxrate, spec.cpu_percent_per_request or 0.0)
                for function, spec in sorted(node.functions.items())
            },
            neighbours=frozenset(names) - {name},
            cpu_limit_percent=node.cpu_limit_percent,
            cpu_threshold_percent=node.threshold_percent,
        )
        for index, (name, node) in enumerate(sorted(scenario.nodes.items()))
    }
    step = scenario.step_s
    steps = round(scenario.duration_s / step)
    offered: dict[tuple[str, str], list[float]] = {}
    for entry in scenario.load:
        # Mean rate over each step, so that the integral matches the schedule.
        edges = [arrivals_until(entry.segments, index * step) for index in range(steps + 1)]
        rates = [(edges[i + 1] - edges[i]) / step for i in range(steps)]
        key = (entry.node, entry.function)
        previous = offered.get(key)
        offered[key] = (
            rates if previous is None else [a + b for a, b in zip(previous, rates, strict=True)]
        )
    return Federation(
        nodes=nodes,
        offered=offered,
        period_s=scenario.period_s,
        step_s=step,
        steps=steps,
        warmup_periods=warmup_periods,
    )


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """A random federation: one function, random capacities, a share of hot nodes."""

    nodes: int = 1000
    neighbours: int = 8
    """Links each node draws at random (the graph is made symmetric, so degrees vary)."""
    hot_share: float = 0.3
    duration_s: float = 600.0
    period_s: float = 60.0
    step_s: float = 1.0
    seed: int = 1
    function: str = "figlet"
    cpu_percent_per_request: float = 10.0

    def __post_init__(self) -> None:
        if self.nodes < 2:
            raise ValueError(f"nodes must be >= 2, got {self.nodes}")
        if not 1 <= self.neighbours < self.nodes:
            raise ValueError(f"neighbours must be in [1, nodes - 1], got {self.neighbours}")
        if not 0 <= self.hot_share <= 1:
            raise ValueError(f"hot_share must be in [0, 1], got {self.hot_share}")


def synthetic(spec: SyntheticSpec) -> Federation:
    """Hot nodes get 1.5 to 3 times their capacity, the others 10 to 50 %, all constant."""
    # Links draw from a stream of their own: the same seed gives the same capacities and
    # load whatever the degree, so that degrees can be compared.
    rng, link_rng = random.Random(spec.seed), random.Random(f"{spec.seed}-links")
    names = [f"n{index:05d}" for index in range(spec.nodes)]
    links: dict[str, set[str]] = {name: set() for name in names}
    for name in names:
        for other in link_rng.sample([n for n in names if n != name], spec.neighbours):
            links[name].add(other)
            links[other].add(name)
    steps = round(spec.duration_s / spec.step_s)
    nodes = {}
    offered: dict[tuple[str, str], list[float]] = {}
    for index, name in enumerate(names):
        maxrate = float(rng.choice((10, 20, 30, 50)))
        nodes[name] = SimNode(
            name=name,
            address=_address(index + 1),
            functions={spec.function: SimFunction(maxrate, spec.cpu_percent_per_request)},
            neighbours=frozenset(links[name]),
            cpu_limit_percent=maxrate * spec.cpu_percent_per_request,
            cpu_threshold_percent=0.9 * maxrate * spec.cpu_percent_per_request,
        )
        factor = rng.uniform(1.5, 3.0) if rng.random() < spec.hot_share else rng.uniform(0.1, 0.5)
        offered[(name, spec.function)] = [maxrate * factor] * steps
    return Federation(
        nodes=nodes, offered=offered, period_s=spec.period_s, step_s=spec.step_s, steps=steps
    )
