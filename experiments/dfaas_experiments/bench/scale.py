"""How a federation's cost grows with its size: N real nodes on one machine, measured.

`python -m dfaas_experiments.bench.scale --out DIR [--sizes 5,10,20,50]` (`make
bench-scale`). For each size N and strategy, a loopback federation of N nodes, each a
`dfaas-gateway`, a HAProxy and a `dfaas-agent run` (period 1 s, every node a member of
every other, mutual TLS), then:

- convergence: from the agents' launch until every agent has every other member in
  its HAProxy layout;
- an idle window: per agent RSS and CPU per period (/proc), gossip messages and
  payload bytes per second (its `/status` overlay counters), its control iteration and
  runtime-API time per period (its own `/metrics` histograms), the time of its
  reloads (render, `haproxy -c`, reload), and the size of a HAProxy configuration;
- with recalc, node-1 forwarding everything (maxrate 0) under open-loop load: the
  last node's HAProxy stops (time until node-1 routes around it, requests that
  failed), then the node comes back with a fresh HAProxy and agent (time until
  node-1 routes to it again and until a request is served there).

Each figure's growth law is fitted over the sizes (the exponent b of N^b: about 0
constant, 1 linear, 2 quadratic). Nothing here asserts a figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import matplotlib as mpl
import trio
from prometheus_client.parser import text_string_to_metric_families

mpl.use("Agg")

import matplotlib.pyplot as plt

from dfaas_agent.config import MAX_HEARTBEAT_PERIODS
from dfaas_experiments.bench.measures import constant_load
from dfaas_experiments.bench.proc import usage
from dfaas_experiments.load.generator import Limits, run_load
from dfaas_experiments.records import Outcome, RequestRecord, in_flight_at
from dfaas_testing import Federation, LaunchError, Node, start_federation, wait_until

FUNCTION = "shasum"
PERIOD_S = 1.0
MIB = 1024 * 1024
STRATEGIES = ("recalc", "node_margin")
Say = Callable[[str], None]


@dataclass(frozen=True)
class Churn:
    """node-1 forwards everything; the last node stops and comes back."""

    rate: float
    route_around_s: float
    """From its HAProxy's stop until node-1 no longer routes to it."""
    failed: int
    in_flight_at_stop: int
    """Requests in flight at the stopped node when it stopped (the generator's records)."""
    sent: int
    routed_again_s: float
    """From its restart until node-1 routes to it again (UP, with a weight)."""
    first_served_s: float | None
    """From its restart until the first request it served was sent."""


@dataclass(frozen=True)
class SizeRun:
    strategy: str
    nodes: int
    launch_s: float
    """Starting every gateway, HAProxy and agent (sequential, before convergence)."""
    convergence_s: float
    """From the agents' launch until every agent has every other member in its layout."""
    ready_convergence_s: float
    """The same from the moment every agent answered /status (its start-up done)."""
    window_s: float
    rss_mib: list[float]
    cpu_ms_per_period: list[float]
    published_per_s: list[float]
    received_per_s: list[float]
    received_bytes_per_s: list[float]
    iteration_ms: list[float]
    tuned_ms: list[float]
    """Mean runtime-API time (weights, slots, maps) of one period, per agent."""
    reload_ms: list[float]
    """Mean render + check + reload time, per agent that reloaded."""
    config_bytes: int
    churn: Churn | None = None

    def summary(self) -> dict[str, float | None]:
        """The figures the report plots and fits: means over the agents."""
        churn = self.churn
        return {
            "convergence_s": self.convergence_s,
            "ready_convergence_s": self.ready_convergence_s,
            "rss_mib": _mean(self.rss_mib),
            "rss_mib_max": max(self.rss_mib, default=None),
            "cpu_ms_per_period": _mean(self.cpu_ms_per_period),
            "cpu_ms_per_period_max": max(self.cpu_ms_per_period, default=None),
            "published_per_s": _mean(self.published_per_s),
            "received_per_s": _mean(self.received_per_s),
            "received_bytes_per_s": _mean(self.received_bytes_per_s),
            "iteration_ms": _mean(self.iteration_ms),
            "tuned_ms": _mean(self.tuned_ms),
            "reload_ms": _mean(self.reload_ms),
            "config_bytes": float(self.config_bytes),
            "route_around_s": None if churn is None else churn.route_around_s,
            "routed_again_s": None if churn is None else churn.routed_again_s,
            "first_served_s": None if churn is None else churn.first_served_s,
        }


@dataclass(frozen=True)
class Stop:
    """The size at which a strategy's series ended on this machine, and why."""

    strategy: str
    nodes: int
    reason: str


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


# --- reading an agent ------------------------------------------------------------------


@dataclass(frozen=True)
class AgentReading:
    cpu_s: float
    rss_bytes: int
    published: int
    received: int
    received_bytes: int
    histograms: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    """(metric, label value) -> (sum, count)."""


HISTOGRAMS = (
    ("dfaas_agent_iteration_seconds", ""),
    ("dfaas_agent_haproxy_apply_seconds", "tuned"),
    ("dfaas_agent_haproxy_apply_seconds", "reloaded"),
)


def _histograms(text: str) -> dict[tuple[str, str], tuple[float, float]]:
    found: dict[tuple[str, str], list[float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for metric, how in HISTOGRAMS:
                if sample.labels.get("how", "") != how:
                    continue
                if sample.name == f"{metric}_sum":
                    found.setdefault((metric, how), [0.0, 0.0])[0] = sample.value
                elif sample.name == f"{metric}_count":
                    found.setdefault((metric, how), [0.0, 0.0])[1] = sample.value
    return {key: (pair[0], pair[1]) for key, pair in found.items()}


def read_agent(node: Node) -> AgentReading:
    # A saturated machine answers late: wait for an answer rather than fail the size.
    statuses: list[dict[str, Any]] = []

    def answered() -> bool:
        status = node.status()
        if status is not None:
            statuses.append(status)
        return bool(statuses)

    wait_until(answered, f"{node.name}: the agent to answer /status", timeout_s=60.0)
    overlay = statuses[0]["overlay"]
    metrics = httpx.get(node.url(node.ports.api, "/metrics"), timeout=30.0).text
    used = usage(node.pid("agent"))
    return AgentReading(
        cpu_s=used.cpu_s,
        rss_bytes=used.rss_bytes,
        published=int(overlay["published"]),
        received=int(overlay["received"]),
        received_bytes=int(overlay["received_bytes"]),
        histograms=_histograms(metrics),
    )


def _mean_between(before: AgentReading, after: AgentReading, key: tuple[str, str]) -> float | None:
    """Mean of a histogram's observations made between two readings, in ms."""
    sum_before, count_before = before.histograms.get(key, (0.0, 0.0))
    sum_after, count_after = after.histograms.get(key, (0.0, 0.0))
    count = count_after - count_before
    return (sum_after - sum_before) / count * 1000 if count > 0 else None


# --- one size --------------------------------------------------------------------------


def _converged(nodes: Sequence[Node]) -> None:
    """Until every agent has every other member in its layout (each polled until it has)."""
    waiting = list(nodes)
    everyone = {node.peer_id for node in nodes}

    def done() -> bool:
        waiting[:] = [n for n in waiting if n.in_layout() != everyone - {n.peer_id}]
        return not waiting

    wait_until(done, "every agent to have every member in its layout", timeout_s=300.0)


def _routes_to(watcher: Node, node: Node) -> bool:
    return node.name in watcher.routable_members(FUNCTION, [node.name])


def _churn(federation: Federation, say: Say) -> Churn:
    watcher, moving = federation.nodes[0], federation.nodes[-1]
    wait_until(
        lambda: _routes_to(watcher, moving),
        f"{watcher.name} to route to {moving.name}",
        timeout_s=120.0,
    )
    rate = float(max(20, len(federation.nodes)))
    duration_s = 30.0
    say(f"  churn: {rate:g} req/s to {watcher.name} (all forwarded); {moving.name} stops, returns")
    marks: dict[str, float] = {}
    start = time.monotonic()

    def events() -> None:
        time.sleep(3.0)
        marks["stopped"] = time.monotonic()
        moving.stop("haproxy")
        wait_until(lambda: not _routes_to(watcher, moving), "routing around the stopped node")
        marks["routed_around"] = time.monotonic()
        moving.stop("agent")
        time.sleep(2.0)
        marks["restarted"] = time.monotonic()
        moving.start_haproxy()
        moving.start_agent()
        wait_until(lambda: _routes_to(watcher, moving), "routing to the node again", 120.0)
        marks["routed_again"] = time.monotonic()

    records: list[RequestRecord] = []

    async def load_and_events() -> None:
        stream = constant_load(watcher, FUNCTION, rate, duration_s)
        async with trio.open_nursery() as nursery:

            async def load() -> None:
                records.extend(await run_load([stream], Limits(timeout_s=5.0)))

            nursery.start_soon(load)
            await trio.to_thread.run_sync(events)

    trio.run(load_and_events)
    restarted_s = marks["restarted"] - start
    served_there = [
        r.sent_s
        for r in records
        if r.outcome is Outcome.OK
        and r.served_by == moving.name
        and r.sent_s is not None
        and r.sent_s >= restarted_s
    ]
    first = min(served_there, default=None)
    return Churn(
        rate=rate,
        route_around_s=marks["routed_around"] - marks["stopped"],
        failed=sum(1 for r in records if r.outcome in (Outcome.ERROR, Outcome.HTTP_ERROR)),
        in_flight_at_stop=in_flight_at(records, moving.name, marks["stopped"] - start),
        sent=sum(1 for r in records if r.outcome is not Outcome.DROPPED),
        routed_again_s=marks["routed_again"] - marks["restarted"],
        first_served_s=None if first is None else first - restarted_s,
    )


def measure_size(
    workdir: Path,
    nodes: int,
    strategy: str,
    *,
    window_s: float,
    churn: bool,
    say: Say,
    heartbeat_periods: int = 1,
) -> SizeRun:
    names = [f"node-{index}" for index in range(1, nodes + 1)]
    # node-1 forwards everything (maxrate 0); the others have room for it.
    maxrates: dict[str, float | None] = dict.fromkeys(names, 1000.0)
    maxrates[names[0]] = 0.0
    launched = time.monotonic()
    federation = start_federation(
        workdir,
        maxrates,
        function=FUNCTION,
        strategy=strategy,
        timeout_s=120.0,
        agent_settings={"announce_heartbeat_periods": heartbeat_periods},
    )
    ready = time.monotonic()
    try:
        assert federation.agents_started_at is not None
        _converged(federation.nodes)
        convergence_s = time.monotonic() - federation.agents_started_at
        say(f"  {nodes} nodes, {strategy}: every member everywhere after {convergence_s:.1f} s")
        time.sleep(2 * PERIOD_S)  # the reloads that convergence caused are over
        before = {node.name: read_agent(node) for node in federation.nodes}
        began = time.monotonic()
        time.sleep(window_s)
        after = {node.name: read_agent(node) for node in federation.nodes}
        window = time.monotonic() - began
        run = SizeRun(
            strategy=strategy,
            nodes=nodes,
            launch_s=federation.agents_started_at - launched,
            convergence_s=convergence_s,
            ready_convergence_s=max(0.0, convergence_s - (ready - federation.agents_started_at)),
            window_s=window,
            rss_mib=[after[n].rss_bytes / MIB for n in names],
            cpu_ms_per_period=[
                (after[n].cpu_s - before[n].cpu_s) * 1000 / (window / PERIOD_S) for n in names
            ],
            published_per_s=[(after[n].published - before[n].published) / window for n in names],
            received_per_s=[(after[n].received - before[n].received) / window for n in names],
            received_bytes_per_s=[
                (after[n].received_bytes - before[n].received_bytes) / window for n in names
            ],
            iteration_ms=_present(
                _mean_between(before[n], after[n], ("dfaas_agent_iteration_seconds", ""))
                for n in names
            ),
            tuned_ms=_present(
                _mean_between(before[n], after[n], ("dfaas_agent_haproxy_apply_seconds", "tuned"))
                for n in names
            ),
            reload_ms=_present(
                _mean_between(
                    AgentReading(0.0, 0, 0, 0, 0),
                    after[n],
                    ("dfaas_agent_haproxy_apply_seconds", "reloaded"),
                )
                for n in names
            ),
            config_bytes=(federation.nodes[0].directory / "haproxy.cfg").stat().st_size,
        )
        if churn:
            try:
                run = dataclasses.replace(run, churn=_churn(federation, say))
            except LaunchError as error:
                raise ChurnFailed(run, str(error).splitlines()[0]) from error
        return run
    finally:
        federation.stop()


def _saturation(run: SizeRun) -> str | None:
    """Why `run` measured a saturated machine (iterations longer than the period)."""
    iteration = run.summary()["iteration_ms"]
    if iteration is not None and iteration > PERIOD_S * 1000:
        return f"saturated: iterations of {iteration:.0f} ms"
    return None


class ChurnFailed(LaunchError):
    """The stop/return test did not finish; the idle figures of `run` stand."""

    def __init__(self, run: SizeRun, reason: str) -> None:
        super().__init__(f"stop/return test: {reason}")
        self.run = run


def _present(values: Iterable[float | None]) -> list[float]:
    return [value for value in values if value is not None]


# --- growth laws and the report ----------------------------------------------------------


def growth_exponent(sizes: Sequence[int], values: Sequence[float | None]) -> float | None:
    """b of the least-squares fit value = a * N^b (log-log), None with under two points."""
    points = [(math.log(n), math.log(v)) for n, v in zip(sizes, values, strict=True) if v and v > 0]
    if len(points) < 2:
        return None
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    spread = math.fsum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    return math.fsum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def growth_law(exponent: float | None) -> str:
    if exponent is None:
        return "n/a"
    for law, centre in (("constant", 0.0), ("linear", 1.0), ("quadratic", 2.0)):
        if abs(exponent - centre) <= 0.3:
            return f"{law} (N^{exponent:.2f})"
    return f"N^{exponent:.2f}"


FIGURES = (
    ("convergence_s", "convergence after launch", "s"),
    ("ready_convergence_s", "convergence after every agent answered", "s"),
    ("rss_mib", "agent RSS, mean", "MiB"),
    ("cpu_ms_per_period", "agent CPU per period, mean", "ms"),
    ("cpu_ms_per_period_max", "agent CPU per period, max", "ms"),
    ("published_per_s", "gossip messages published per s per agent", "/s"),
    ("received_per_s", "gossip messages received per s per agent", "/s"),
    ("received_bytes_per_s", "gossip payload received per s per agent", "B/s"),
    ("iteration_ms", "control iteration", "ms"),
    ("tuned_ms", "runtime-API time per period", "ms"),
    ("reload_ms", "render + check + reload", "ms"),
    ("config_bytes", "HAProxy configuration", "B"),
    ("route_around_s", "route around a stopped member", "s"),
    ("routed_again_s", "route to a member that came back", "s"),
    ("first_served_s", "first request served by it", "s"),
)


def _cell(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"


def markdown(
    runs: Sequence[SizeRun],
    command: str,
    machine: str,
    stops: Sequence[Stop] = (),
    *,
    heartbeat_periods: int = 1,
) -> str:
    announcing = (
        "every period"
        if heartbeat_periods == 1
        else f"on change, else every {heartbeat_periods} periods"
    )
    lines = [
        "# `make bench-scale`: N real nodes on one machine",
        "",
        f"- command: `{command}`",
        f"- {machine}",
        "- each node a `dfaas-gateway`, a HAProxy (master-worker) and a `dfaas-agent run`"
        " (period 1 s, no Prometheus), all on loopback, every node a member of every other",
        f"- agents announce {announcing} (`announce_heartbeat_periods` {heartbeat_periods})",
        "",
    ]
    for strategy in sorted({run.strategy for run in runs}):
        chosen = sorted((r for r in runs if r.strategy == strategy), key=lambda r: r.nodes)
        sizes = [run.nodes for run in chosen]
        summaries = [run.summary() for run in chosen]
        # A saturated machine measures starvation, not cost: such a size is shown, and
        # left out of the growth law.
        saturated = {
            stop.nodes
            for stop in stops
            if stop.strategy == strategy and stop.reason.startswith("saturated")
        }
        fitted = [index for index, size in enumerate(sizes) if size not in saturated]
        heads = [f"N={n}" + (" (saturated)" if n in saturated else "") for n in sizes]
        lines += [
            f"## {strategy}",
            "",
            "| figure | unit | " + " | ".join(heads) + " | growth |",
            "|---|---|" + "---|" * len(sizes) + "---|",
        ]
        for key, label, unit in FIGURES:
            values = [summary[key] for summary in summaries]
            if all(value is None for value in values):
                continue
            cells = " | ".join(_cell(value) for value in values)
            law = growth_law(
                growth_exponent([sizes[i] for i in fitted], [values[i] for i in fitted])
            )
            lines.append(f"| {label} | {unit} | {cells} | {law} |")
        churned = [run for run in chosen if run.churn is not None]
        if churned:
            lines += [
                "",
                "Failed requests while a member stopped and came back (node-1 forwarding"
                " everything; in brackets, requests in flight at the member when it stopped,"
                " which nothing can save): "
                + ", ".join(
                    f"N={run.nodes} {run.churn.failed}/{run.churn.sent}"
                    f" ({run.churn.in_flight_at_stop} in flight)"
                    for run in churned
                    if run.churn is not None
                )
                + ".",
            ]
        lines += [
            f"Stopped at N={stop.nodes}: {stop.reason}."
            for stop in stops
            if stop.strategy == strategy
        ]
        lines += ["", f"![{strategy}](scale-{strategy}.png)", ""]
    return "\n".join(lines)


def plot(runs: Sequence[SizeRun], out: Path) -> None:
    panels = ("convergence_s", "rss_mib", "cpu_ms_per_period", "received_per_s", "tuned_ms")
    labels = {key: (label, unit) for key, label, unit in FIGURES}
    for strategy in sorted({run.strategy for run in runs}):
        chosen = sorted((r for r in runs if r.strategy == strategy), key=lambda r: r.nodes)
        sizes = [run.nodes for run in chosen]
        figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.4))
        for axis, key in zip(axes, panels, strict=True):
            values = [run.summary()[key] for run in chosen]
            axis.plot(sizes, [v if v is not None else math.nan for v in values], marker="o")
            label, unit = labels[key]
            axis.set_title(label, fontsize=9)
            axis.set_xlabel("nodes (N)")
            axis.set_ylabel(unit)
            axis.grid(True, alpha=0.3)
        figure.suptitle(f"{strategy}: cost per agent as the federation grows")
        figure.tight_layout()
        figure.savefig(out / f"scale-{strategy}.png", dpi=110)
        plt.close(figure)


# --- command line ------------------------------------------------------------------------


def _from_document(document: dict[str, Any]) -> tuple[list[SizeRun], list[Stop]]:
    runs = []
    for entry in document["runs"]:
        fields = {k: v for k, v in entry.items() if k not in ("summary", "churn")}
        churn = entry.get("churn")
        runs.append(SizeRun(**fields, churn=None if churn is None else Churn(**churn)))
    return runs, [Stop(**stop) for stop in document["stops"]]


def _report_again(source: Path, out: Path) -> int:
    document = json.loads(source.read_text())
    runs, stops = _from_document(document)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(
        runs,
        document["command"],
        document["machine"],
        stops,
        heartbeat_periods=document.get("heartbeat_periods", 1),
    )
    (out / "scale.md").write_text(text)
    plot(runs, out)
    say(f"report written again to {out} from {source}")
    return 0


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"sizes must be integers, got {text!r}") from error
    if not sizes or sizes[0] < 2 or sizes[-1] > 100:
        raise argparse.ArgumentTypeError(f"sizes must be from 2 to 100, got {text!r}")
    return sizes


def say(line: str) -> None:
    print(f"[bench-scale] {line}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.bench.scale",
        description=__doc__.split("\n\n", maxsplit=1)[0],
    )
    parser.add_argument("--out", type=Path, required=True, help="report folder")
    parser.add_argument("--sizes", type=_sizes, default=[5, 10, 20, 50], help="e.g. 5,10,20,50")
    parser.add_argument(
        "--strategy", action="append", choices=STRATEGIES, help="default: recalc and node_margin"
    )
    parser.add_argument(
        "--window",
        type=float,
        default=20.0,
        help="idle window, seconds (cover a few heartbeats when --heartbeat-periods is over 1)",
    )
    parser.add_argument(
        "--heartbeat-periods",
        type=int,
        default=1,
        help="the agents' announce_heartbeat_periods (1, their default: announce every period)",
    )
    parser.add_argument("--no-churn", action="store_true", help="skip the stop/return test")
    parser.add_argument(
        "--from-json", type=Path, help="write the report again from a scale.json, run nothing"
    )
    args = parser.parse_args(argv)
    if args.from_json is not None:
        return _report_again(args.from_json, args.out)
    if not 1 <= args.window <= 300:
        parser.error(f"--window must be in [1, 300] s, got {args.window}")
    if not 1 <= args.heartbeat_periods <= MAX_HEARTBEAT_PERIODS:
        parser.error(
            f"--heartbeat-periods must be in [1, {MAX_HEARTBEAT_PERIODS}],"
            f" got {args.heartbeat_periods}"
        )
    strategies = args.strategy or list(STRATEGIES)
    workdir = Path(tempfile.mkdtemp(prefix="dfaas-bench-scale-"))
    runs: list[SizeRun] = []
    stops: list[Stop] = []
    started = time.monotonic()
    try:
        for strategy in strategies:
            for size in args.sizes:
                say(f"{size} nodes, {strategy}")
                try:
                    run = measure_size(
                        workdir / f"{strategy}-{size}",
                        size,
                        strategy,
                        window_s=args.window,
                        churn=strategy == "recalc" and not args.no_churn,
                        say=say,
                        heartbeat_periods=args.heartbeat_periods,
                    )
                except LaunchError as error:
                    # Where this machine stops: say why, keep what was measured, and try
                    # no larger federation.
                    reason = str(error).splitlines()[0]
                    if isinstance(error, ChurnFailed):
                        runs.append(error.run)
                        saturated = _saturation(error.run)
                        reason = reason if saturated is None else f"{saturated}; {reason}"
                    stops.append(Stop(strategy, size, reason))
                    # The whole error: its log tail is the only trace left of the failure,
                    # the node folders go with the work folder.
                    say(f"  stopped at {size} nodes: {error}")
                    break
                runs.append(run)
                shutil.rmtree(workdir / f"{strategy}-{size}", ignore_errors=True)
                saturated = _saturation(run)
                if saturated is not None:
                    stops.append(Stop(strategy, size, saturated))
                    say(f"  stopped after {size} nodes: {saturated}")
                    break
    except KeyboardInterrupt:
        say(f"interrupted (node folders kept in {workdir})")
        return 1
    machine = (
        f"{os.cpu_count()} CPUs, load average at end {os.getloadavg()[0]:.2f};"
        f" Python {platform.python_version()}; took {time.monotonic() - started:.0f} s"
    )
    command = "cd experiments && ../.venv/bin/python -m dfaas_experiments.bench.scale " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.md").write_text(
        markdown(runs, command.strip(), machine, stops, heartbeat_periods=args.heartbeat_periods)
    )
    document = {
        "command": command.strip(),
        "machine": machine,
        "heartbeat_periods": args.heartbeat_periods,
        "runs": [asdict(run) | {"summary": run.summary()} for run in runs],
        "stops": [asdict(stop) for stop in stops],
    }
    (args.out / "scale.json").write_text(json.dumps(document, indent=2) + "\n")
    plot(runs, args.out)
    print((args.out / "scale.md").read_text())
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
