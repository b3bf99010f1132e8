"""Play a scenario once per strategy against a running federation, then write the report.

    python -m dfaas_experiments.campaign --scenario scenarios/paper-short.yml \\
        --target node1=http://NODE1:30080 --target node2=http://NODE2:30080 \\
        --target node3=http://NODE3:30080 \\
        --switch 'ansible-playbook -i inventories/testbed/hosts.yml dfaas.edge.federate
                  -e dfaas_strategy={strategy}' \\
        --settle 20 --out reports/paper-short

First, once, the `--prepare` command (``{scenario}`` is replaced by the scenario's
path), e.g. one that sets the nodes' capacities. Then for each strategy: run the
switch command (``{strategy}`` is replaced by the strategy's name; it must leave
the federation using it), wait `--settle` seconds so that the agents run at least
one period with it, replay the scenario's load with the open-loop generator, and
keep the CSV. The nodes must already host the scenario's functions.

With `--prometheus NODE=URL` (repeatable), after each run and `--prometheus-wait`
seconds (one scrape), the node's server-side series over the run (the queries of
`server_latency.SERVER_LATENCY_QUERIES`) go to `runs/<strategy>-prometheus-<NODE>.csv`
and into the report beside the client-side latency; `--prometheus-via NODE=COMMAND`
reads a Prometheus that only listens on the node's loopback through a command
(`prometheus_csv --via`), e.g. ``node1='podman exec dfaas-testbed-1 curl -sS'``.
"""

from __future__ import annotations

import argparse
import math
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import trio

from dfaas_experiments.load import Limits, Stream, run_load
from dfaas_experiments.prometheus_csv import (
    MAX_POINTS,
    CommandTransport,
    ExportError,
    Window,
    export,
)
from dfaas_experiments.records import write_records
from dfaas_experiments.report import node_name_pair, write_report
from dfaas_experiments.scenario import Scenario, ScenarioError, load_scenario
from dfaas_experiments.server_latency import SERVER_LATENCY_QUERIES

EXIT_USAGE = 2
EXIT_FAILED = 1
PROMETHEUS_WAIT_S = 6.0
"""After a run, before its export: one scrape (5 s on our nodes) and a margin."""


class SwitchFailed(RuntimeError):
    """The command that selects a strategy failed."""


def run_command(template: str, values: Mapping[str, str], what: str, timeout_s: float) -> None:
    """Run `template` with `{name}` replaced from `values`; SwitchFailed when it fails."""
    argv = shlex.split(template)
    for name, value in values.items():
        argv = [part.replace(f"{{{name}}}", value) for part in argv]
    try:
        done = subprocess.run(argv, check=False, timeout=timeout_s, capture_output=True, text=True)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SwitchFailed(f"{what}: {error}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SwitchFailed(
            f"{what}: exit code {done.returncode}: {' / '.join(tail) or 'no output'}"
        )


def switch_strategy(template: str, strategy: str, timeout_s: float) -> None:
    """Run the switch command for `strategy`; SwitchFailed when it fails or times out."""
    run_command(template, {"strategy": strategy}, f"switch to {strategy}", timeout_s)


def streams_for(scenario: Scenario, targets: Mapping[str, str], body: bytes) -> list[Stream]:
    missing = sorted({entry.node for entry in scenario.load} - set(targets))
    if missing:
        raise ValueError(f"no target URL for scenario node(s): {', '.join(missing)}")
    return [
        Stream(entry.node, targets[entry.node], entry.function, entry.segments, body)
        for entry in scenario.load
    ]


def _note_time(times: list[float]) -> None:
    times.append(time.time())


def export_server_latency(
    strategy: str,
    window: Window,
    runs_dir: Path,
    prometheus: Mapping[str, str],
    via: Mapping[str, str],
) -> dict[str, Path]:
    """Each node's server-side series over `window`; ExportError names the node."""
    exported: dict[str, Path] = {}
    for node, url in sorted(prometheus.items()):
        out = runs_dir / f"{strategy}-prometheus-{node}.csv"
        transport = CommandTransport(shlex.split(via[node])) if node in via else None
        try:
            export(url, SERVER_LATENCY_QUERIES, window, out, transport=transport)
        except ExportError as error:
            raise ExportError(f"{strategy}: {node}'s Prometheus at {url}: {error}") from None
        exported[node] = out
    return exported


def _check_prometheus(
    scenario: Scenario, prometheus: Mapping[str, str], via: Mapping[str, str]
) -> None:
    unknown = sorted(set(prometheus) - set(scenario.nodes))
    if unknown:
        raise ValueError(f"--prometheus for node(s) not in the scenario: {', '.join(unknown)}")
    without_url = sorted(set(via) - set(prometheus))
    if without_url:
        raise ValueError(
            f"--prometheus-via for node(s) without --prometheus: {', '.join(without_url)}"
        )


def run_campaign(
    scenario_path: Path,
    targets: Mapping[str, str],
    switch: str | None,
    out_dir: Path,
    *,
    prepare: str | None = None,
    strategies: Sequence[str] | None = None,
    settle_s: float = 0.0,
    limits: Limits | None = None,
    body: bytes = b"Hello DFaaS",
    node_names: Mapping[str, str] | None = None,
    prometheus: Mapping[str, str] | None = None,
    prometheus_via: Mapping[str, str] | None = None,
    prometheus_wait_s: float = PROMETHEUS_WAIT_S,
    log: Callable[[str], None] = print,
) -> Path:
    """Every strategy in turn, then the report; returns the path of summary.md."""
    scenario = load_scenario(scenario_path)
    streams = streams_for(scenario, targets, body)
    prometheus, prometheus_via = prometheus or {}, prometheus_via or {}
    _check_prometheus(scenario, prometheus, prometheus_via)
    server_latency: dict[str, dict[str, Path]] = {}
    names = list(strategies or scenario.strategies)
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    runs: dict[str, Path] = {}
    if prepare is not None:
        log(f"preparing the federation for {scenario.name}")
        run_command(prepare, {"scenario": str(scenario_path)}, "prepare", timeout_s=900)
    for strategy in names:
        if switch is not None:
            log(f"{strategy}: switching the federation")
            switch_strategy(switch, strategy, timeout_s=900)
        if settle_s > 0:
            log(f"{strategy}: letting the agents settle for {settle_s:g} s")
            time.sleep(settle_s)
        log(f"{strategy}: sending load for {scenario.duration_s:g} s")
        started: list[float] = []
        records = trio.run(
            run_load, streams, limits or Limits(), None, partial(_note_time, started)
        )
        runs[strategy] = out_dir / "runs" / f"{strategy}.csv"
        write_records(runs[strategy], records)
        if prometheus:
            log(f"{strategy}: exporting server-side series in {prometheus_wait_s:g} s")
            time.sleep(prometheus_wait_s)
            end = time.time()
            step_s = max(1.0, math.ceil((end - started[0]) / (MAX_POINTS - 1)))
            window = Window(started[0], end, step_s)
            server_latency[strategy] = export_server_latency(
                strategy, window, out_dir / "runs", prometheus, prometheus_via
            )
    write_report(out_dir, runs, scenario_path, node_names, server_latency)
    return out_dir / "summary.md"


def _name_value(shape: str) -> Callable[[str], tuple[str, str]]:
    """An argparse type for NAME=VALUE options; `shape` names both in its error."""

    def parse(text: str) -> tuple[str, str]:
        name, sep, value = text.partition("=")
        if not sep or not name or not value.strip():
            raise argparse.ArgumentTypeError(f"expected {shape}, got {text!r}")
        return name, value

    return parse


_target = _name_value("NAME=URL")
_node_command = _name_value("NODE=COMMAND")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.campaign",
        description=__doc__.split("\n\n", maxsplit=1)[0],
    )
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("--target", type=_target, action="append", required=True)
    parser.add_argument("--switch", help="command that makes the federation use {strategy}")
    parser.add_argument(
        "--prepare",
        help="command run once before the strategies ({scenario}: the scenario's path), e.g."
        " one that gives the nodes the scenario's capacities",
    )
    parser.add_argument("--strategy", action="append", help="instead of the scenario's list")
    parser.add_argument(
        "--node-name",
        type=node_name_pair,
        action="append",
        default=[],
        help="SCENARIO_NODE=SERVED_BY: the name a node reports when it differs; repeatable",
    )
    parser.add_argument("--settle", type=float, default=0.0, help="seconds after each switch")
    parser.add_argument(
        "--prometheus",
        type=_target,
        action="append",
        default=[],
        help="NODE=URL: export the node's server-side latency series after each run; repeatable",
    )
    parser.add_argument(
        "--prometheus-via",
        type=_node_command,
        action="append",
        default=[],
        help="NODE=COMMAND: reach that node's Prometheus through COMMAND URL, which prints the"
        " answer (e.g. 'podman exec dfaas-testbed-1 curl -sS'); repeatable",
    )
    parser.add_argument(
        "--prometheus-wait",
        type=float,
        default=PROMETHEUS_WAIT_S,
        help="seconds between a run's end and its export (at least one scrape interval)",
    )
    parser.add_argument("--max-in-flight", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=8.0, help="per request, seconds")
    parser.add_argument(
        "--body",
        default="Hello DFaaS",
        help="request body (the testbed's `sleep` function reads milliseconds from it)",
    )
    parser.add_argument("--out", type=Path, required=True, help="report folder")
    args = parser.parse_args(argv)
    try:
        summary = run_campaign(
            args.scenario,
            dict(args.target),
            args.switch,
            args.out,
            prepare=args.prepare,
            strategies=args.strategy,
            settle_s=args.settle,
            limits=Limits(max_in_flight=args.max_in_flight, timeout_s=args.timeout),
            body=args.body.encode(),
            node_names=dict(args.node_name),
            prometheus=dict(args.prometheus),
            prometheus_via=dict(args.prometheus_via),
            prometheus_wait_s=args.prometheus_wait,
            log=lambda line: print(line, file=sys.stderr),
        )
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (SwitchFailed, ExportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"report written to {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
