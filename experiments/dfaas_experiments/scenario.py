"""Experiment scenarios: nodes, their capacities, the offered load over time, strategies.

A scenario is a YAML file validated here; a bad file raises `ScenarioError`
with one line per problem, each naming the key path (``nodes.node1.functions``).
The same scenario drives the simulator and the load generator (which replays
each load entry against the URL of its node).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dfaas_agent.strategies import UnknownStrategy, canonical_name
from dfaas_experiments.schedule import Segment, duration_of

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names each bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FunctionCapacity(_Strict):
    """What one node can do for one function."""

    maxrate: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    """The `dfaas.maxrate` label: req/s the node serves for this function (0: none,
    its clients' requests must all be served elsewhere)."""
    cpu_percent_per_request: Positive | None = None
    """CPU cost of one req/s, percent of one core (for CPU-limited nodes)."""


class Node(_Strict):
    functions: Mapping[Name, FunctionCapacity]
    cpu_limit_percent: Positive | None = None
    """CPU the node has, percent of one core (100 = one core); None: not CPU-bound."""
    cpu_threshold_percent: Positive | None = None
    """CPU level the agent treats as overload (node_margin); default 90 % of the limit."""

    @field_validator("functions")
    @classmethod
    def _some_function(
        cls, value: Mapping[str, FunctionCapacity]
    ) -> Mapping[str, FunctionCapacity]:
        if not value:
            raise ValueError("a node needs at least one function")
        return value

    @model_validator(mode="after")
    def _cpu_costs_known(self) -> Node:
        if self.cpu_limit_percent is not None:
            missing = [n for n, f in self.functions.items() if f.cpu_percent_per_request is None]
            if missing:
                raise ValueError(
                    "cpu_limit_percent needs cpu_percent_per_request for every function "
                    f"(missing for {', '.join(sorted(missing))})"
                )
        return self

    @property
    def threshold_percent(self) -> float | None:
        if self.cpu_threshold_percent is not None:
            return self.cpu_threshold_percent
        return None if self.cpu_limit_percent is None else 0.9 * self.cpu_limit_percent


class Load(_Strict):
    """Client requests offered to one node for one function, over time."""

    node: Name
    function: Name
    segments: list[Segment] = Field(min_length=1)


class Scenario(_Strict):
    name: Name
    description: str = ""
    period_s: Positive = 60.0
    """Control period of the agents."""
    strategies: list[str] = Field(min_length=1)
    nodes: Mapping[Name, Node] = Field(min_length=1)
    load: list[Load] = Field(min_length=1)
    step_s: Positive = 1.0
    """Simulator time step."""

    @field_validator("strategies")
    @classmethod
    def _known_strategies(cls, value: list[str]) -> list[str]:
        names = []
        for name in value:
            try:
                names.append(canonical_name(name))
            except UnknownStrategy as error:
                raise ValueError(str(error)) from None
        if len(set(names)) != len(names):
            raise ValueError("a strategy is listed twice")
        return names

    @model_validator(mode="after")
    def _load_targets_exist(self) -> Scenario:
        for index, entry in enumerate(self.load):
            node = self.nodes.get(entry.node)
            if node is None:
                raise ValueError(f"load[{index}].node: no node named {entry.node!r}")
            if entry.function not in node.functions:
                raise ValueError(
                    f"load[{index}].function: node {entry.node!r} has no function "
                    f"{entry.function!r}"
                )
        return self

    @property
    def duration_s(self) -> float:
        return max(duration_of(entry.segments) for entry in self.load)


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{where}: {problem['msg']}")
    return "; ".join(lines)


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate already-parsed YAML data."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level")
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(f"{source}: {_describe(error)}") from None


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from None
    return parse_scenario(data, str(path))
