"""Fluid simulation of a federation, running the agent's strategy code unchanged.

Every control period each node builds an `Observation` from what it measured
over the last period, takes a snapshot of its `PeerTable` (the agent's own
class, fed with the `Plan.announcements` of its neighbours, as gossip would),
and calls the strategy from `dfaas_agent.strategies.resolve`. Strategy `external`
asks the reference policy (`dfaas_policy.model.decide`) in process, with the request
and the answer checks of the agent's own schema, where the agent would POST to it.
Between periods,
every time step moves request rates along the data path that the agent's HAProxy
really runs (see the admission notes of its configuration template):

- a node's client requests run at home up to the plan's local limit, the way the
  agent turns the plan into HAProxy's limit (`dfaas_agent.loop.conversions`), and
  never beyond what the node can execute (its slots and queue are full then);
- the rest goes one hop to members by the plan's weights; with no weight at all
  it is refused (503);
- every node runs its own clients first, then members' requests with the room
  left, up to its capacity for the function (`dfaas.maxrate`) and, on CPU-limited
  nodes, its CPU; a member refuses the requests it has no room for;
- a refused request is tried once more on another member of its sender (by the
  sender's weights among the others), and fails if that one has no room either.

Before t = 0 the agents run `warmup_periods` periods with no load, so that
they know each other when the experiment starts (as a running federation does).
Consecutive steps with the same offered rates inside one period move the same
rates, so they are computed once and accounted together.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dfaas_agent.haproxy.render import MAX_MEMBER_RETRIES
from dfaas_agent.loop.conversions import local_limit
from dfaas_agent.messages import decode, encode
from dfaas_agent.model import (
    FunctionObservation,
    FunctionPlan,
    Observation,
    Plan,
    StrategySettings,
)
from dfaas_agent.peers import PeerTable, validity_for
from dfaas_agent.policy.schema import parse_answer, policy_request
from dfaas_agent.strategies import canonical_name, resolve
from dfaas_policy.model import decide


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
    """A FunctionPlan as the data path applies it: a local limit and member shares."""

    local_limit: float | None
    peer_shares: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, plan: FunctionPlan | None) -> _Route:
        if plan is None:
            return cls(None, ())
        weights = {p: w for p, w in plan.peer_weights.items() if w > 0}
        whole = sum(weights.values())
        shares = tuple((p, w / whole) for p, w in sorted(weights.items()))
        limit = local_limit(plan)
        return cls(None if limit is None else float(limit), shares)

    def retry_shares(self, *refused_by: str) -> tuple[tuple[str, float], ...]:
        """Where a request that `refused_by` refused goes next: the other members."""
        others = [(peer, share) for peer, share in self.peer_shares if peer not in refused_by]
        whole = sum(share for _peer, share in others)
        return tuple((peer, share / whole) for peer, share in others) if whole > 0 else ()


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
            observation, peers = self._observation(node), self._tables[name].snapshot()
            if self.strategy_name == "external":
                # The agent's POST, in process: the same request, the same checks.
                request = policy_request(observation, peers, self._settings[name])
                shares = parse_answer(decide(request), request)
                observation = dataclasses.replace(observation, shares=shares)
            plan = self._strategy(observation, peers, self._settings[name])
            plans[name] = plan
            self._routes[name] = {f: _Route.of(p) for f, p in plan.functions.items()}
            self._measured[name] = _Measured()
        for sender, plan in plans.items():
            for message in plan.announcements:
                # Through the wire format, as gossip carries it.
                received = decode(encode(message))
                for receiver in self.federation.nodes[sender].neighbours:
                    self._tables[receiver].record(sender, received)

    def _admit_at_home(
        self, step: int, rooms: Mapping[str, _Room], effect: _StepEffect
    ) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float, _Route]]]:
        """Each node's client rates: what runs at home, what goes out (with its route)."""
        at_home: list[tuple[str, str, float]] = []
        outgoing: list[tuple[str, str, float, _Route]] = []
        for (origin, function), rates in self.federation.offered.items():
            offered = rates[step]
            if offered <= 0:
                continue
            effect.offered.append((origin, function, offered))
            route = self._routes[origin].get(function) or _Route.of(None)
            home = offered if route.local_limit is None else min(offered, route.local_limit)
            home = min(home, rooms[origin].capacity(function))
            at_home.append((origin, function, home))
            if offered > home:
                outgoing.append((origin, function, offered - home, route))
        return at_home, outgoing

    def _effect(self, step: int) -> _StepEffect:
        """Where the rates of `step` go under the current plans (no state changes)."""
        nodes = self.federation.nodes
        effect = _StepEffect()
        rooms = {name: _Room.of(node) for name, node in nodes.items()}
        at_home, outgoing = self._admit_at_home(step, rooms, effect)
        # Own clients first: they take a node's room before any member's request.
        own: dict[str, dict[str, dict[str, float]]] = defaultdict(_by_function)
        for origin, function, rate in at_home:
            own[origin][function][origin] += rate
        for name, demand in own.items():
            _serve(nodes[name], rooms[name], demand, effect)
        # Members' requests, then what a member refused on another (HAProxy's retries:
        # up to MAX_MEMBER_RETRIES other members, each tried once).
        first: dict[str, dict[str, dict[str, float]]] = defaultdict(_by_function)
        routes: dict[tuple[str, str], _Route] = {}
        for origin, function, rate, route in outgoing:
            routes[(origin, function)] = route
            for peer, share in route.peer_shares:
                first[peer][function][origin] += rate * share
        # (members that refused it so far) -> node -> function -> origin -> req/s
        attempts: dict[tuple[str, ...], dict[str, dict[str, dict[str, float]]]] = {(): first}
        for _retry in range(MAX_MEMBER_RETRIES + 1):
            after: dict[tuple[str, ...], dict[str, dict[str, dict[str, float]]]] = {}
            for tried, by_node in attempts.items():
                for name, demand in by_node.items():
                    refused = _serve(nodes[name], rooms[name], demand, effect)
                    for function, by_origin in refused.items():
                        for origin, rate in by_origin.items():
                            route = routes[(origin, function)]
                            for peer, share in route.retry_shares(*tried, name):
                                bucket = after.setdefault((*tried, name), defaultdict(_by_function))
                                bucket[peer][function][origin] += rate * share
            attempts = after
        for name in nodes:
            effect.cpu[name] = rooms[name].cpu_used
            effect.run_by_node.setdefault(name, 0.0)
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


def _by_function() -> dict[str, dict[str, float]]:
    return defaultdict(lambda: defaultdict(float))


@dataclass(slots=True)
class _Room:
    """What a node can still run during one step: per function, and its CPU."""

    node: SimNode
    left: dict[str, float]
    cpu_left: float | None
    cpu_used: float = 0.0

    @classmethod
    def of(cls, node: SimNode) -> _Room:
        left = {
            name: math.inf if spec.maxrate is None else spec.maxrate
            for name, spec in node.functions.items()
        }
        return cls(node, left, node.cpu_limit_percent)

    def capacity(self, function: str) -> float:
        """Requests per second of `function` this node could still run now."""
        spec = self.node.functions.get(function)
        if spec is None:
            return 0.0
        room = self.left[function]
        if self.cpu_left is not None and spec.cpu_percent_per_request > 0:
            room = min(room, self.cpu_left / spec.cpu_percent_per_request)
        return max(0.0, room)

    def take(self, function: str, rate: float) -> None:
        self.left[function] -= rate
        cost = rate * self.node.functions[function].cpu_percent_per_request
        self.cpu_used += cost
        if self.cpu_left is not None:
            self.cpu_left -= cost


def _serve(
    node: SimNode,
    room: _Room,
    demand: Mapping[str, Mapping[str, float]],
    effect: _StepEffect,
) -> dict[str, dict[str, float]]:
    """Run what reaches `node` within its room, every origin in the same proportion;
    returns what it refused, per function and origin (a function it lacks: all)."""
    refused: dict[str, dict[str, float]] = defaultdict(dict)
    for function in sorted(demand):
        by_origin = demand[function]
        wanted = sum(by_origin.values())
        if wanted <= 0:
            continue
        run_here = min(wanted, room.capacity(function))
        if run_here > 0:
            room.take(function, run_here)
        ratio = run_here / wanted
        effect.executed.append((node.name, function, run_here))
        effect.run_by_node[node.name] = effect.run_by_node.get(node.name, 0.0) + run_here
        for origin, amount in by_origin.items():
            effect.runs.append((node.name, function, origin, amount * ratio))
            if ratio < 1:
                refused[function][origin] = amount * (1 - ratio)
    return refused


def simulate(
    federation: Federation, strategies: Sequence[str], record_series: bool = False
) -> list[Outcome]:
    return [Simulation(federation, name).run(record_series) for name in strategies]
