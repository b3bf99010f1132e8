"""The oracle: the most a federation could have served, to judge a run against.

A served ratio (served / sent) mixes two things: how well a strategy forwards,
and how much the federation could serve at all. In the paper's case 50 req/s
reach node1 and the three nodes serve 10 + 20 + 30, so 100 % is reachable; with
80 req/s it is not, and a strategy serving 60 of 80 did as well as any could.
The oracle computes that best outcome under the federation's rules, per time
bin and per function:

- each node serves its own clients first, up to its capacity for the function:
  ``own = min(offered, capacity)``; the rest is its excess, and what its
  capacity leaves after its own clients is its spare room;
- excess goes at most one hop, to a neighbour that hosts the function, within
  that neighbour's spare room. The most that can be forwarded is a max-flow
  from the excess nodes to the spare nodes over the neighbour links; with a
  full mesh (what `dfaas_experiments.federations.from_scenario` builds) it is
  ``min(total excess, total spare)``.

A node's capacity for a function is its ``maxrate``; without one, a CPU-limited
node's ``cpu_limit_percent / cpu_percent_per_request``; without either it is
unbounded (it serves all it is offered). The capacities are taken one function
at a time: a CPU-limited node hosting several functions gets each function's
full CPU share, so with load on more than one function the oracle overestimates
what the shared CPU allows (it is an upper bound, never an underestimate).

Served and offered requests are binned by their scheduled send time. A queue
lets requests offered in one bin be served in the next, so a bin's
served / possible can exceed 1; it is kept as it is, not clamped.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from dfaas_experiments.records import Outcome, RequestRecord
from dfaas_experiments.scenario import Scenario

TARGET_RATIO = 0.99
"""Served / possible at or above which a bin (or a node's own clients) counts as served."""

Key = tuple[str, str]
"""(node, function)."""


@dataclass(frozen=True, slots=True)
class BinPossible:
    """The best outcome of one bin (rates or counts, in the unit of the inputs)."""

    possible: float
    """Own clients served locally plus the most the neighbours could take of the excess."""
    own_possible: Mapping[str, float]
    """Per node, summed over functions: min(offered, capacity), what it could serve
    of its own clients by itself."""


def capacities(scenario: Scenario) -> dict[Key, float | None]:
    """Capacity (req/s) per (node, function) the scenario hosts; None: unbounded.

    ``maxrate`` wins when set (the agent and HAProxy treat it as authoritative);
    otherwise a CPU-limited node serves ``cpu_limit_percent / cpu_percent_per_request``.
    """
    found: dict[Key, float | None] = {}
    for name, node in scenario.nodes.items():
        for function, spec in node.functions.items():
            capacity = spec.maxrate
            if capacity is None and node.cpu_limit_percent and spec.cpu_percent_per_request:
                capacity = node.cpu_limit_percent / spec.cpu_percent_per_request
            found[(name, function)] = capacity
    return found


def neighbours(scenario: Scenario) -> dict[str, frozenset[str]]:
    """Every node neighbours every other one: the full mesh the simulator and testbed use."""
    names = frozenset(scenario.nodes)
    return {name: names - {name} for name in sorted(names)}


def _is_complete(
    excess: Mapping[str, float], spare: Mapping[str, float], links: Mapping[str, Collection[str]]
) -> bool:
    """Whether every node with excess may forward to every node with spare room."""
    helpers = [j for j, room in spare.items() if room > 0]
    for i, amount in excess.items():
        if amount <= 0:
            continue
        reachable = links.get(i, ())
        if any(j != i and j not in reachable for j in helpers):
            return False
    return True


def max_flow(
    excess: Mapping[str, float], spare: Mapping[str, float], links: Mapping[str, Collection[str]]
) -> float:
    """Most excess that can move one hop, from node i to a j in ``links[i]``, within spare rooms.

    Edmonds-Karp on the bipartite network source -> i (excess_i) -> j (unbounded)
    -> sink (spare_j), on floats. Shortest augmenting paths end after O(V E)
    augmentations whatever the capacities are, so floats are safe; residuals
    below a tolerance relative to the total excess count as saturated.
    A spare room of ``math.inf`` (an unbounded helper) is allowed.
    """
    hot = sorted(i for i, amount in excess.items() if amount > 0)
    helpers = sorted(j for j, room in spare.items() if room > 0)
    total = sum(excess[i] for i in hot)
    if not hot or not helpers:
        return 0.0
    tolerance = 1e-12 * max(1.0, total)
    source, sink = 0, 1 + len(hot) + len(helpers)
    index = {("hot", name): 1 + k for k, name in enumerate(hot)}
    index |= {("helper", name): 1 + len(hot) + k for k, name in enumerate(helpers)}
    residual: list[dict[int, float]] = [defaultdict(float) for _node in range(sink + 1)]

    def link(a: int, b: int, capacity: float) -> None:
        residual[a][b] += capacity
        residual[b][a] += 0.0

    for i in hot:
        link(source, index[("hot", i)], excess[i])
        reachable = links.get(i, ())
        for j in helpers:
            if j != i and j in reachable:
                # The excess of i bounds this edge: as good as unbounded, and finite.
                link(index[("hot", i)], index[("helper", j)], total)
    for j in helpers:
        link(index[("helper", j)], sink, min(spare[j], total))

    flow = 0.0
    while True:
        parent: dict[int, int] = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            a = queue.popleft()
            for b, room in residual[a].items():
                if room > tolerance and b not in parent:
                    parent[b] = a
                    queue.append(b)
        if sink not in parent:
            return min(flow, total)
        path = []
        b = sink
        while b != source:
            path.append((parent[b], b))
            b = parent[b]
        push = min(residual[a][b] for a, b in path)
        for a, b in path:
            residual[a][b] -= push
            residual[b][a] += push
        flow += push


def forwardable(
    excess: Mapping[str, float], spare: Mapping[str, float], links: Mapping[str, Collection[str]]
) -> float:
    """`max_flow`, with the closed form min(total excess, total spare) when every hot
    node reaches every helper (always so in a full mesh)."""
    if _is_complete(excess, spare, links):
        return min(
            sum(e for e in excess.values() if e > 0), sum(s for s in spare.values() if s > 0)
        )
    return max_flow(excess, spare, links)


def possible_in_bin(
    offered: Mapping[Key, float],
    capacity: Mapping[Key, float | None],
    links: Mapping[str, Collection[str]],
) -> BinPossible:
    """The best outcome of one bin.

    `offered` and `capacity` are per (node, function), in the same unit (req/s,
    or requests in the bin). A (node, function) missing from `capacity` is a node
    without that function: it serves none of it and helps no one with it; None
    is an unbounded capacity. ``links[i]`` are the nodes i may forward to.
    """
    functions = sorted({key[1] for key in offered} | {key[1] for key in capacity})
    nodes = sorted({key[0] for key in offered} | {key[0] for key in capacity})
    own_possible = dict.fromkeys(nodes, 0.0)
    possible = 0.0
    for function in functions:
        excess: dict[str, float] = {}
        spare: dict[str, float] = {}
        for node in nodes:
            load = offered.get((node, function), 0.0)
            hosted = (node, function) in capacity
            limit = capacity[(node, function)] if hosted else 0.0
            own = load if limit is None else min(load, limit)
            own_possible[node] += own
            possible += own
            excess[node] = load - own
            if hosted:
                spare[node] = math.inf if limit is None else limit - own
        possible += forwardable(excess, spare, links)
    return BinPossible(possible=possible, own_possible=own_possible)


def possible_of_rates(
    offered: Mapping[Key, Sequence[float]],
    capacity: Mapping[Key, float | None],
    links: Mapping[str, Collection[str]],
    step_s: float,
) -> float:
    """Requests possible over a run given as rates per time step (the simulator's
    input); steps with the same rates are computed once."""
    keys = sorted(offered)
    steps = min((len(offered[key]) for key in keys), default=0)
    cache: dict[tuple[float, ...], float] = {}
    total = 0.0
    for step in range(steps):
        rates = tuple(offered[key][step] for key in keys)
        if rates not in cache:
            cache[rates] = possible_in_bin(
                dict(zip(keys, rates, strict=True)), capacity, links
            ).possible
        total += cache[rates] * step_s
    return total


@dataclass(frozen=True, slots=True)
class PerBin:
    """Counts per bin of `bin_s` seconds (bin k covers [k bin_s, (k + 1) bin_s))."""

    bin_s: float
    possible: tuple[float, ...]
    """Most requests the federation could have served, per bin."""
    served: tuple[int, ...]
    """Requests served (2xx), per bin."""
    own_offered: Mapping[str, tuple[int, ...]]
    """Per node, requests sent to it (the generator's drops left out), per bin."""
    own_possible: Mapping[str, tuple[float, ...]]
    """Per node, the most it could serve of those by itself: min(offered, capacity x bin_s)."""
    own_served: Mapping[str, tuple[int, ...]]
    """Per node, requests sent to it that were served, by it or by another node."""


def possible_per_bin(
    records: Sequence[RequestRecord], scenario: Scenario, bin_s: float = 1.0
) -> PerBin:
    """Offered, possible and served counts per bin of a run of `scenario`.

    Requests are binned by their scheduled send time (as `analysis.served_per_second`
    does), so a request's offer and its success fall in the same bin. Dropped
    requests never reached the federation and are not offered. A request sent to a
    node or for a function the scenario does not have counts as offered to a node
    without capacity for it.
    """
    if bin_s <= 0:
        raise ValueError(f"bin_s must be > 0, got {bin_s}")
    bins = int(max(r.scheduled_s for r in records) // bin_s) + 1 if records else 0
    nodes = sorted(set(scenario.nodes) | {r.node for r in records})
    offered: dict[Key, list[int]] = defaultdict(lambda: [0] * bins)
    own_offered = {node: [0] * bins for node in nodes}
    own_served = {node: [0] * bins for node in nodes}
    served = [0] * bins
    for record in records:
        if record.outcome is Outcome.DROPPED:
            continue
        index = int(record.scheduled_s // bin_s)
        offered[(record.node, record.function)][index] += 1
        own_offered[record.node][index] += 1
        if record.outcome is Outcome.OK:
            served[index] += 1
            own_served[record.node][index] += 1
    capacity = {
        key: None if rate is None else rate * bin_s for key, rate in capacities(scenario).items()
    }
    links = neighbours(scenario)
    possible: list[float] = []
    own_possible: dict[str, list[float]] = {node: [] for node in nodes}
    for index in range(bins):
        best = possible_in_bin(
            {key: float(counts[index]) for key, counts in offered.items()}, capacity, links
        )
        possible.append(best.possible)
        for node in nodes:
            own_possible[node].append(best.own_possible.get(node, 0.0))
    return PerBin(
        bin_s=bin_s,
        possible=tuple(possible),
        served=tuple(served),
        own_offered={node: tuple(counts) for node, counts in own_offered.items()},
        own_possible={node: tuple(counts) for node, counts in own_possible.items()},
        own_served={node: tuple(counts) for node, counts in own_served.items()},
    )


@dataclass(frozen=True, slots=True)
class NodeOracle:
    """One node's own clients against what the node could serve for them by itself."""

    own_offered: int
    own_possible: float
    own_served: int
    """Served requests sent to this node, whoever ran them."""
    violation_bins: int
    """Bins where own served / own possible < `TARGET_RATIO` (own-first violations:
    the node's clients lost requests it had room for); bins with nothing possible skipped."""
    own_bins: int = 0
    """Bins where the node could serve some of its own clients (own possible > 0)."""

    @property
    def own_first_ratio(self) -> float | None:
        """Own served / own possible; above 1 for a node whose excess others served."""
        return self.own_served / self.own_possible if self.own_possible else None


@dataclass(frozen=True, slots=True)
class OracleSummary:
    """A run against the oracle, over all bins."""

    bin_s: float
    served: int
    possible: float
    bins: int
    """Bins where something was possible."""
    bins_at_target: int
    """Of those, bins where served / possible >= `TARGET_RATIO`."""
    worst_bin_ratio: float | None
    worst_bin_s: float | None
    """Start of the bin with the lowest served / possible (the first of equals)."""
    per_node: Mapping[str, NodeOracle]
    onset_s: float | None = None
    """When the first overload of the scenario begins (None: no overload)."""
    first_bin_at_target_s: float | None = None
    """From `onset_s`, how long until the start of the first bin (beginning at or after
    the onset) whose served / possible reaches `TARGET_RATIO`; None when none does."""

    @property
    def ratio(self) -> float | None:
        """Served / possible; may exceed 1 (see the module docstring)."""
        return self.served / self.possible if self.possible else None

    @property
    def share_bins_at_target(self) -> float | None:
        return self.bins_at_target / self.bins if self.bins else None


def summarise_bins(per_bin: PerBin, onset_s: float | None = None) -> OracleSummary:
    """Totals, the bins at target, the worst bin, each node's own-first figures and,
    with `onset_s`, how soon after the overload began a bin reached the target."""
    ratios = [
        (served / possible, index)
        for index, (served, possible) in enumerate(
            zip(per_bin.served, per_bin.possible, strict=True)
        )
        if possible > 0
    ]
    worst = min(ratios, default=None)
    per_node = {}
    for node, offered in per_bin.own_offered.items():
        possible = per_bin.own_possible[node]
        served = per_bin.own_served[node]
        per_node[node] = NodeOracle(
            own_offered=sum(offered),
            own_possible=sum(possible),
            own_served=sum(served),
            violation_bins=sum(
                1 for s, p in zip(served, possible, strict=True) if p > 0 and s / p < TARGET_RATIO
            ),
            own_bins=sum(1 for p in possible if p > 0),
        )
    return OracleSummary(
        bin_s=per_bin.bin_s,
        served=sum(per_bin.served),
        possible=sum(per_bin.possible),
        bins=len(ratios),
        bins_at_target=sum(1 for ratio, _index in ratios if ratio >= TARGET_RATIO),
        worst_bin_ratio=None if worst is None else worst[0],
        worst_bin_s=None if worst is None else worst[1] * per_bin.bin_s,
        per_node=per_node,
        onset_s=onset_s,
        first_bin_at_target_s=_first_at_target(ratios, per_bin.bin_s, onset_s),
    )


def _first_at_target(
    ratios: Sequence[tuple[float, int]], bin_s: float, onset_s: float | None
) -> float | None:
    if onset_s is None:
        return None
    for ratio, index in ratios:
        start = index * bin_s
        if start >= onset_s - 1e-9 and ratio >= TARGET_RATIO:
            return start - onset_s
    return None


def oracle_summary(
    records: Sequence[RequestRecord],
    scenario: Scenario,
    bin_s: float = 1.0,
    onset_s: float | None = None,
) -> OracleSummary:
    """`summarise_bins` of `possible_per_bin`: a run of `scenario` against its oracle."""
    return summarise_bins(possible_per_bin(records, scenario, bin_s), onset_s)
