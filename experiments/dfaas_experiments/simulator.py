"""Fluid simulation of a federation, running the agent's strategy code unchanged.

Every control period each node builds an `Observation` from what it measured
over the last period, takes a snapshot of its `PeerTable` (the agent's own
class, fed with the `Plan.announcements` of its neighbours, as gossip would),
and calls the strategy from `dfaas_agent.strategies.resolve`. Between periods,
every time step moves request rates along the one-hop data path that the plan
describes (`FunctionPlan`):

- client requests run here up to `local_limit` (None: no local-first stage);
- the rest is split by weight between this node (`local_weight`) and peers
  (`peer_weights`); with no weight at all it is rejected;
- a node runs what reaches it (its clients' share and its peers' requests)
  up to its capacity for the function (`dfaas.maxrate`) and, on CPU-limited
  nodes, up to its CPU; the excess fails, in the same proportion for every origin.

Before t = 0 the agents run `warmup_periods` periods with no load, so that
they know each other when the experiment starts (as a running federation does).
Consecutive steps with the same offered rates inside one period move the same
rates, so they are computed once and accounted together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dfaas_agent.messages import decode, encode
from dfaas_agent.model import (
    FunctionObservation,
    FunctionPlan,
    Observation,
    Plan,
    StrategySettings,
)
from dfaas_agent.peers import PeerTable, validity_for
from dfaas_agent.strategies import canonical_name, resolve


@dataclass(frozen=True, slots=True)
class SimFunction:
    maxrate: float | None
    """Label and real capacity in req/s; None: not rate-limited."""
    cpu_percent_per_request: float = 0.0


@dataclass(frozen=True, slots=True)
class SimNode:
    name: str
    address: str
    functions: Mapping[str, SimFunction]
    neighbours: frozenset[str]
    """The nodes it federates with: it hears their announcements and may forward to them."""
    cpu_limit_percent: float | None = None
    cpu_threshold_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Federation:
    nodes: Mapping[str, SimNode]
    offered: Mapping[tuple[str, str], Sequence[float]]
    """Client req/s per (node, function) for each time step."""
    period_s: float
    step_s: float
    steps: int
    warmup_periods: int = 2

    def __post_init__(self) -> None:
        if self.step_s <= 0 or self.steps < 0:
            raise ValueError(f"step_s must be > 0 and steps >= 0, got {self.step_s}, {self.steps}")
        ratio = self.period_s / self.step_s
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ValueError(
                f"period_s ({self.period_s}) must be a whole multiple of step_s ({self.step_s})"
            )
        for name, spec in self.nodes.items():
            unknown = sorted(spec.neighbours - set(self.nodes))
            if unknown or name in spec.neighbours:
                raise ValueError(
                    f"node {name}: neighbours must be other known nodes, got {unknown}"
                )
        for (node, function), rates in self.offered.items():
            if node not in self.nodes or function not in self.nodes[node].functions:
                raise ValueError(f"offered load for {node}/{function}: no such node or function")
            if len(rates) < self.steps:
                raise ValueError(
                    f"offered load for {node}/{function}: fewer than {self.steps} steps"
                )

    @property
    def steps_per_period(self) -> int:
        return round(self.period_s / self.step_s)


@dataclass(slots=True)
class NodeTotals:
    """Request counts of a node's clients (integrated rates)."""

    offered: float = 0.0
    served_here: float = 0.0
    served_by_peers: float = 0.0

    @property
    def served(self) -> float:
        return self.served_here + self.served_by_peers

    @property
    def served_ratio(self) -> float:
        return self.served / self.offered if self.offered > 0 else 1.0


@dataclass(slots=True)
class Outcome:
    strategy: str
    per_node: dict[str, NodeTotals] = field(default_factory=dict)
    after_first_period: NodeTotals = field(default_factory=NodeTotals)
    served_per_step: list[dict[str, float]] = field(default_factory=list)
    """Req/s run by each node at each step (only when asked for)."""
    first_help_s: dict[str, float] = field(default_factory=dict)
    """Per node, the first time (s) a peer ran some of its clients' requests."""

    @property
    def total(self) -> NodeTotals:
        total = NodeTotals()
        for node in self.per_node.values():
            total.offered += node.offered
            total.served_here += node.served_here
            total.served_by_peers += node.served_by_peers
        return total

    @property
    def served_ratio(self) -> float:
        return self.total.served_ratio

    @property
    def forwarded_share(self) -> float:
        """Share of the served requests that a peer ran."""
        total = self.total
        return total.served_by_peers / total.served if total.served > 0 else 0.0


@dataclass(slots=True)
class _Measured:
    """What a node's HAProxy and Prometheus saw over the current period (sums of rates)."""

    offered: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    executed: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    for_peers: dict[str, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    cpu: float = 0.0
    steps: int = 0


@dataclass(frozen=True, slots=True)
class _Route:
    """A FunctionPlan turned into fractions for the fluid data path."""

    local_limit: float | None
    local_share: float
    peer_shares: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, plan: FunctionPlan | None) -> _Route:
        if plan is None:
            return cls(None, 1.0, ())
        weights = {p: w for p, w in plan.peer_weights.items() if w > 0}
        whole = plan.local_weight + sum(weights.values())
        if plan.local_limit is None and not weights:
            return cls(None, 1.0, ())
        if whole <= 0:
            return cls(plan.local_limit, 0.0, ())
        shares = tuple((p, w / whole) for p, w in sorted(weights.items()))
        return cls(plan.local_limit, plan.local_weight / whole, shares)


class Simulation:
    """One strategy on one federation."""

    def __init__(self, federation: Federation, strategy: str) -> None:
        self.federation = federation
        self.strategy_name = canonical_name(strategy)
        self._strategy = resolve(self.strategy_name)
        self._now = 0.0
        validity = validity_for(self.strategy_name, federation.period_s)
        self._tables = {name: PeerTable(name, validity, self._clock) for name in federation.nodes}
        self._settings = {
            name: StrategySettings(
                node_ip=node.address,
                members=node.neighbours,
                period_s=federation.period_s,
                cpu_threshold_percent=node.cpu_threshold_percent or 120.0,
            )
            for name, node in federation.nodes.items()
        }
        self._routes: dict[str, dict[str, _Route]] = {name: {} for name in federation.nodes}
        self._measured = {name: _Measured() for name in federation.nodes}

    def _clock(self) -> float:
        return self._now

    def _observation(self, node: SimNode) -> Observation:
        measured = self._measured[node.name]
        steps = max(1, measured.steps)
        functions = {
            name: FunctionObservation(
                maxrate=spec.maxrate,
                timeout_ms=None,
                offered_rate=measured.offered[name] / steps,
                executed_for_peers={
                    peer: rate / steps for peer, rate in sorted(measured.for_peers[name].items())
                },
                executed_rate=measured.executed[name] / steps,
            )
            for name, spec in sorted(node.functions.items())
        }
        cpu = measured.cpu / steps if node.cpu_limit_percent is not None else None
        return Observation(peer_id=node.name, functions=functions, cpu_percent=cpu)

    def _control(self) -> None:
        """Every node plans from its last period, then the announcements are delivered."""
        plans: dict[str, Plan] = {}
        for name, node in self.federation.nodes.items():
            plan = self._strategy(
                self._observation(node), self._tables[name].snapshot(), self._settings[name]
            )
            plans[name] = plan
            self._routes[name] = {f: _Route.of(p) for f, p in plan.functions.items()}
            self._measured[name] = _Measured()
        for sender, plan in plans.items():
            for message in plan.announcements:
                # Through the wire format, as gossip carries it.
                received = decode(encode(message))
                for receiver in self.federation.nodes[sender].neighbours:
                    self._tables[receiver].record(sender, received)

    def _effect(self, step: int) -> _StepEffect:
        """Where the rates of `step` go under the current plans (no state changes)."""
        nodes = self.federation.nodes
        effect = _StepEffect()
        # Demand reaching each node, per function and origin node. Requests that no
        # weight sends anywhere (or that go to a peer lacking the function) fail.
        demand: dict[str, dict[str, dict[str, float]]] = {
            name: defaultdict(lambda: defaultdict(float)) for name in nodes
        }
        for (origin, function), rates in self.federation.offered.items():
            offered = rates[step]
            if offered <= 0:
                continue
            effect.offered.append((origin, function, offered))
            route = self._routes[origin].get(function) or _Route.of(None)
            if route.local_limit is None:
                local, rest = 0.0, offered
            else:
                local = min(offered, route.local_limit)
                rest = offered - local
            demand[origin][function][origin] += local + rest * route.local_share
            for peer, share in route.peer_shares:
                if function in nodes[peer].functions:
                    demand[peer][function][origin] += rest * share
        for name, node in nodes.items():
            _execute(node, demand[name], effect)
        return effect

    def _apply(self, effect: _StepEffect, step: int, span: int, outcome: Outcome) -> None:
        """Account `span` identical steps starting at `step` (never across a period start)."""
        step_s = self.federation.step_s
        after_first = step >= self.federation.steps_per_period
        for origin, function, rate in effect.offered:
            self._measured[origin].offered[function] += rate * span
            outcome.per_node[origin].offered += rate * step_s * span
            if after_first:
                outcome.after_first_period.offered += rate * step_s * span
        for name, cpu in effect.cpu.items():
            measured = self._measured[name]
            measured.cpu += cpu * span
            measured.steps += span
        for name, function, rate in effect.executed:
            self._measured[name].executed[function] += rate * span
        for name, function, origin, rate in effect.runs:
            count = rate * step_s * span
            targets = [outcome.per_node[origin]]
            if after_first:
                targets.append(outcome.after_first_period)
            if origin == name:
                for totals in targets:
                    totals.served_here += count
                continue
            self._measured[name].for_peers[function][origin] += rate * span
            for totals in targets:
                totals.served_by_peers += count
            if rate > 0 and origin not in outcome.first_help_s:
                outcome.first_help_s[origin] = step * step_s

    def _same_rates_until(self, step: int) -> int:
        """First step after `step` whose rates differ or that starts a period (or the end)."""
        federation = self.federation
        rates = list(federation.offered.values())
        current = [r[step] for r in rates]
        end = step + 1
        while (
            end < federation.steps
            and end % federation.steps_per_period != 0
            and all(r[end] == value for r, value in zip(rates, current, strict=True))
        ):
            end += 1
        return end

    def run(self, record_series: bool = False) -> Outcome:
        federation = self.federation
        outcome = Outcome(self.strategy_name, {name: NodeTotals() for name in federation.nodes})
        # Warm-up: the agents gossip with no load, so the federation is formed at t = 0.
        for index in range(federation.warmup_periods):
            self._now = (index - federation.warmup_periods) * federation.period_s
            self._control()
        step = 0
        while step < federation.steps:
            self._now = step * federation.step_s
            if step % federation.steps_per_period == 0:
                self._control()
            effect = self._effect(step)
            # Steps with the same offered rates under the same plans move the same rates.
            end = self._same_rates_until(step)
            self._apply(effect, step, end - step, outcome)
            if record_series:
                outcome.served_per_step += [dict(effect.run_by_node) for _step in range(step, end)]
            step = end
        return outcome


@dataclass(slots=True)
class _StepEffect:
    """Rates (req/s) that one time step moves, before they are accounted."""

    offered: list[tuple[str, str, float]] = field(default_factory=list)
    """(origin, function, client rate)."""
    executed: list[tuple[str, str, float]] = field(default_factory=list)
    """(node, function, rate run there)."""
    runs: list[tuple[str, str, str, float]] = field(default_factory=list)
    """(node, function, origin, rate run there for the origin's clients)."""
    cpu: dict[str, float] = field(default_factory=dict)
    run_by_node: dict[str, float] = field(default_factory=dict)


def _execute(node: SimNode, demand: Mapping[str, Mapping[str, float]], effect: _StepEffect) -> None:
    """Run what reaches `node` up to its per-function capacity and its CPU limit."""
    served: dict[str, float] = {}
    for function, by_origin in demand.items():
        wanted = sum(by_origin.values())
        cap = node.functions[function].maxrate
        served[function] = wanted if cap is None else min(wanted, cap)
    cpu = sum(served[f] * node.functions[f].cpu_percent_per_request for f in served)
    scale = 1.0
    if node.cpu_limit_percent is not None and cpu > node.cpu_limit_percent:
        scale = node.cpu_limit_percent / cpu
        cpu = node.cpu_limit_percent
    effect.cpu[node.name] = cpu
    total_run = 0.0
    for function, by_origin in demand.items():
        wanted = sum(by_origin.values())
        run_here = served[function] * scale
        ratio = run_here / wanted if wanted > 0 else 0.0
        effect.executed.append((node.name, function, run_here))
        total_run += run_here
        for origin, amount in by_origin.items():
            effect.runs.append((node.name, function, origin, amount * ratio))
    effect.run_by_node[node.name] = total_run


def simulate(
    federation: Federation, strategies: Sequence[str], record_series: bool = False
) -> list[Outcome]:
    return [Simulation(federation, name).run(record_series) for name in strategies]
