"""Report folder of a run: markdown summary, JSON figures, plots, raw CSVs and the scenario.

    python -m dfaas_experiments.report --run all_local=al.csv --run recalc=rc.csv \\
        --scenario scenarios/paper.yml --out reports/paper-2026-11-27 \\
        --server-latency recalc:node1=node1-prometheus.csv   # optional, per run and node

Layout of the folder:

    summary.md  summary.json  success-ratio.png  latency-cdf.png
    served-<strategy>.png  raw/<strategy>.csv  scenario.yml (when given)
    raw/<strategy>-prometheus-<node>.csv (with --server-latency)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dfaas_experiments import plots
from dfaas_experiments.analysis import (
    ORACLE_BIN_S,
    Latency,
    RunSummary,
    Served,
    server_side_latency,
    summarise,
)
from dfaas_experiments.oracle import TARGET_RATIO, OracleSummary
from dfaas_experiments.records import (
    Outcome,
    RecordFormatError,
    RequestRecord,
    read_records,
    with_scenario_names,
)
from dfaas_experiments.scenario import Scenario, ScenarioError, load_scenario
from dfaas_experiments.server_latency import read_server_latency

EXIT_USAGE = 2
_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _latency_cells(latency: Latency) -> str:
    return f"{latency.count} | {_ms(latency.p50)} | {_ms(latency.p95)} | {_ms(latency.p99)}"


def _served_row(name: str, served: Served, *, beside_ratio: str | None = None) -> str:
    """A table row; `beside_ratio` is an extra cell after the served ratio."""
    extra = "" if beside_ratio is None else f"{beside_ratio} | "
    return (
        f"| {name} | {served.sent} | {served.served} | {_percent(served.served_ratio)} | "
        f"{extra}{served.forwarded} | {_percent(served.forwarded_share)} | {served.dropped} |"
    )


def _count(value: float) -> str:
    """A request count; possible counts are fractional when a capacity x bin is."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def _overview_row(summary: RunSummary, with_oracle: bool) -> str:
    if not with_oracle:
        return _served_row(summary.strategy, summary.overall)
    ratio = None if summary.oracle is None else summary.oracle.ratio
    return _served_row(summary.strategy, summary.overall, beside_ratio=_percent(ratio))


def _after_onset(oracle: OracleSummary) -> str:
    if oracle.onset_s is None:
        return "no overload"
    first = oracle.first_bin_at_target_s
    return "never" if first is None else f"{first:g} s after {oracle.onset_s:g} s"


def _oracle_section(summaries: Sequence[RunSummary]) -> list[str]:
    lines = ["## Served against what was possible", ""]
    oracles = [(s.strategy, s.oracle) for s in summaries if s.oracle is not None]
    if not oracles:
        return [
            *lines,
            "The oracle (the most the federation could have served) needs the nodes'",
            "capacities: give the scenario (`--scenario`).",
            "",
        ]
    target = f"{TARGET_RATIO:.0%}"
    lines += [
        f"Possible, per {ORACLE_BIN_S:g} s bin (by send time) and function: each node serves its",
        "own clients up to its capacity (maxrate, else CPU limit / CPU per request), and the",
        "excess runs one hop away within the spare room of neighbours hosting the function",
        "(a max-flow; the scenario's nodes form a full mesh). With several functions on one",
        "CPU-limited node each function gets the whole CPU, an overestimate. Queues carry",
        "requests into later bins, so a ratio may exceed 100 %. Bins with nothing possible are",
        "left out.",
        "",
        "First bin at target: from the first overload onset (see the reaction table below),",
        f"the time until a bin's served / possible reaches {target}.",
        "",
        f"| strategy | served | possible | served / possible | bins >= {target} | worst bin "
        "| first bin at target |",
        "|---|---|---|---|---|---|---|",
    ]
    for strategy, oracle in oracles:
        worst = (
            "n/a"
            if oracle.worst_bin_ratio is None
            else f"{_percent(oracle.worst_bin_ratio)} at {oracle.worst_bin_s:g} s"
        )
        lines.append(
            f"| {strategy} | {oracle.served} | {_count(oracle.possible)} | "
            f"{_percent(oracle.ratio)} | {oracle.bins_at_target} of {oracle.bins} "
            f"({_percent(oracle.share_bins_at_target)}) | {worst} | {_after_onset(oracle)} |"
        )
    lines += [
        "",
        "Own first: a node's clients come before other nodes' excess, so each node's clients",
        "should get at least own possible = min(offered, capacity) served, by the node or by",
        "others (own served counts both; above 100 % for a node that others helped).",
        f"Violation bins: bins where own served / own possible < {target}.",
        "",
        "| strategy | node | own offered | own possible | own served | own-first ratio "
        "| violation bins |",
        "|---|---|---|---|---|---|---|",
    ]
    for strategy, oracle in oracles:
        for node, figures in oracle.per_node.items():
            lines.append(
                f"| {strategy} | {node} | {figures.own_offered} | "
                f"{_count(figures.own_possible)} | {figures.own_served} | "
                f"{_percent(figures.own_first_ratio)} | "
                f"{figures.violation_bins} of {figures.own_bins} |"
            )
    lines.append("")
    return lines


def _server_latency_section(summaries: Sequence[RunSummary]) -> list[str]:
    rows = [(s.strategy, row) for s in summaries for row in s.server_latency]
    if not rows:
        return []
    lines = [
        "",
        "Server side: each node's HAProxy measured its own clients' served requests (from",
        "the request's first byte to the answer's last; `dfaas_request_duration_seconds`",
        "from the node's Prometheus, the whole run, quantiles estimated within the",
        "histogram's buckets as `histogram_quantile` does). Client side: the same requests",
        "(sent to the node, run by the server) as the load generator measured them, larger",
        "by the client's connection and network time. Route local: the node ran them;",
        "member: it sent them one hop to the server.",
        "",
        "| strategy | node | route | server | server count | server p50 | server p95 "
        "| client count | client p50 | client p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for strategy, row in rows:
        server, client = row.server_side, row.client_side
        lines.append(
            f"| {strategy} | {row.node} | {server.route} | {server.server} | {server.count} | "
            f"{_ms(server.p50)} | {_ms(server.p95)} | {client.count} | {_ms(client.p50)} | "
            f"{_ms(client.p95)} |"
        )
    return lines


def markdown(summaries: Sequence[RunSummary], scenario: Scenario | None) -> str:
    lines = ["# Experiment report", ""]
    if scenario is not None:
        lines += [
            f"Scenario **{scenario.name}**: {scenario.description or '(no description)'}; "
            f"control period {scenario.period_s:g} s; file `scenario.yml`.",
            "",
        ]
    lines += [
        "Served ratio = served / sent; forwarded share = served by another node / served.",
        "Requests the load generator could not send (too many in flight) are counted",
        "as dropped and left out of both ratios.",
        "",
        "## Overview",
        "",
    ]
    with_oracle = any(s.oracle is not None for s in summaries)
    if with_oracle:
        lines += [
            "| strategy | sent | served | served ratio | served / possible | forwarded "
            "| forwarded share | dropped |",
            "|---|---|---|---|---|---|---|---|",
        ]
    else:
        lines += [
            "| strategy | sent | served | served ratio | forwarded | forwarded share | dropped |",
            "|---|---|---|---|---|---|---|",
        ]
    lines += [_overview_row(s, with_oracle) for s in summaries]
    lines += ["", *_oracle_section(summaries)]
    lines += [
        "## Latency of served requests (ms)",
        "",
        "| strategy | where | count | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for summary in summaries:
        lines.append(f"| {summary.strategy} | local | {_latency_cells(summary.latency_local)} |")
        lines.append(
            f"| {summary.strategy} | forwarded | {_latency_cells(summary.latency_forwarded)} |"
        )
    lines += _server_latency_section(summaries)
    lines += [
        "",
        "Send lag of the generator (ms late against the schedule; large values mean the",
        "generator could not offer the planned load):",
        "",
        "| strategy | requests | p50 | p95 | p99 |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {s.strategy} | {_latency_cells(s.send_lag)} |" for s in summaries]
    lines += [
        "",
        "## Time to react to overload",
        "",
        "Onset: when the node's offered rate first exceeds its capacity (from the scenario),",
        "or its first failed request when no scenario is given. Reaction: the first request",
        "sent at or after the onset that another node served.",
        "",
        "| strategy | node | onset (s) | first forwarded success (s) | delay (s) |",
        "|---|---|---|---|---|",
    ]
    for summary in summaries:
        if not summary.reactions:
            lines.append(f"| {summary.strategy} | - | no overload | - | - |")
        for reaction in summary.reactions:
            first = reaction.first_forwarded_s
            delay = reaction.delay_s
            lines.append(
                f"| {summary.strategy} | {reaction.node} | {reaction.onset_s:.1f} | "
                f"{'never' if first is None else f'{first:.1f}'} | "
                f"{'never' if delay is None else f'{delay:.1f}'} |"
            )
    lines += ["", "## Per node (by the node the requests were sent to)", ""]
    for summary in summaries:
        lines += [
            f"### {summary.strategy}",
            "",
            f"![served req/s per node](served-{summary.strategy}.png)",
            "",
            "| node | sent | served | served ratio | forwarded | forwarded share | dropped |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [_served_row(node, served) for node, served in summary.per_node.items()]
        lines.append("")
    lines += [
        "## Plots",
        "",
        "![success ratio over time](success-ratio.png)",
        "",
        "![latency CDF](latency-cdf.png)",
        "",
    ]
    return "\n".join(lines)


def _as_json(summary: RunSummary) -> dict[str, Any]:
    data = dataclasses.asdict(summary)
    pairs = [(data["overall"], summary.overall)]
    pairs += [(data["per_node"][node], counts) for node, counts in summary.per_node.items()]
    for fields, counts in pairs:
        fields["served_ratio"] = counts.served_ratio
        fields["forwarded_share"] = counts.forwarded_share
    for fields, reaction in zip(data["reactions"], summary.reactions, strict=True):
        fields["delay_s"] = reaction.delay_s
    if summary.oracle is not None:
        _oracle_json(data["oracle"], summary.oracle)
    return data


def _oracle_json(data: dict[str, Any], oracle: OracleSummary) -> None:
    """Add the ratios, which are properties and so not in `dataclasses.asdict`."""
    data["ratio"] = oracle.ratio
    data["share_bins_at_target"] = oracle.share_bins_at_target
    data["target_ratio"] = TARGET_RATIO
    for node, figures in oracle.per_node.items():
        data["per_node"][node]["own_first_ratio"] = figures.own_first_ratio


def _check_strategy_name(name: str) -> None:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"run name {name!r} cannot name a file")


def _check_server_latency(
    server_latency: Mapping[str, Mapping[str, Path]],
    runs: Mapping[str, Path],
    scenario: Scenario | None,
) -> None:
    unknown = sorted(set(server_latency) - set(runs))
    if unknown:
        raise ValueError(f"--server-latency for run(s) not given with --run: {', '.join(unknown)}")
    for strategy, per_node in server_latency.items():
        for node in per_node:
            if scenario is not None and node not in scenario.nodes:
                raise ValueError(
                    f"--server-latency {strategy}:{node}: no node {node} in the scenario"
                )
            if not _NODE_NAME.fullmatch(node):
                raise ValueError(
                    f"--server-latency {strategy}:{node}: node {node!r} cannot name a file"
                )


def write_report(
    out_dir: Path,
    runs: Mapping[str, Path],
    scenario_path: Path | None = None,
    node_names: Mapping[str, str] | None = None,
    server_latency: Mapping[str, Mapping[str, Path]] | None = None,
) -> list[RunSummary]:
    """Read each run's CSV, write the report folder, return the summaries.

    `node_names` maps a scenario node to the name the node itself reports
    (``node1`` → ``dfaas-testbed-1``) where the two differ; without it a request
    served by ``dfaas-testbed-1`` but sent to ``node1`` counts as forwarded.
    `server_latency` maps a run and a node to the node's Prometheus export
    (`prometheus_csv` with `server_latency.SERVER_LATENCY_QUERIES`) over that run.
    """
    if not runs:
        raise ValueError("no run to report on")
    for name in runs:
        _check_strategy_name(name)
    scenario = load_scenario(scenario_path) if scenario_path is not None else None
    if scenario is not None and node_names:
        unknown = sorted(set(node_names) - set(scenario.nodes))
        if unknown:
            raise ValueError(f"--node-name for node(s) not in the scenario: {', '.join(unknown)}")
    scenario_names = {served: node for node, served in (node_names or {}).items()}
    records: dict[str, list[RequestRecord]] = {
        name: with_scenario_names(read_records(p), scenario_names) for name, p in runs.items()
    }
    server_latency = server_latency or {}
    _check_server_latency(server_latency, runs, scenario)
    summaries = [
        dataclasses.replace(
            summarise(name, rows, scenario),
            server_latency=tuple(
                row
                for node, path in sorted(server_latency.get(name, {}).items())
                for row in server_side_latency(
                    node,
                    read_server_latency(
                        path,
                        node,
                        scenario_names,
                        expect_requests=any(
                            r.node == node and r.outcome is Outcome.OK for r in rows
                        ),
                    ),
                    rows,
                )
            ),
        )
        for name, rows in records.items()
    ]

    (out_dir / "raw").mkdir(parents=True, exist_ok=True)
    for name, path in runs.items():
        shutil.copyfile(path, out_dir / "raw" / f"{name}.csv")
    for name, per_node in server_latency.items():
        for node, path in per_node.items():
            shutil.copyfile(path, out_dir / "raw" / f"{name}-prometheus-{node}.csv")
    if scenario_path is not None:
        shutil.copyfile(scenario_path, out_dir / "scenario.yml")
    for name, rows in records.items():
        plots.served_per_node(out_dir / f"served-{name}.png", name, rows)
    plots.success_ratio(out_dir / "success-ratio.png", records)
    plots.latency_cdf(out_dir / "latency-cdf.png", records)
    (out_dir / "summary.md").write_text(markdown(summaries, scenario), encoding="utf-8")
    (out_dir / "summary.json").write_text(
        json.dumps([_as_json(s) for s in summaries], indent=2) + "\n", encoding="utf-8"
    )
    return summaries


def node_name_pair(text: str) -> tuple[str, str]:
    """``node1=dfaas-testbed-1`` → (scenario node, name the node reports)."""
    node, sep, served = text.partition("=")
    if not sep or not node or not served:
        raise argparse.ArgumentTypeError(f"expected SCENARIO_NODE=SERVED_BY, got {text!r}")
    return node, served


def server_latency_run(text: str) -> tuple[str, str, Path]:
    """``recalc:node1=series.csv`` → (run, node whose Prometheus it is, path)."""
    names, sep, path = text.partition("=")
    strategy, colon, node = names.rpartition(":")
    if not sep or not colon or not strategy or not node or not path:
        raise argparse.ArgumentTypeError(f"expected STRATEGY:NODE=CSV, got {text!r}")
    return strategy, node, Path(path)


def by_run_and_node(entries: Sequence[tuple[str, str, Path]]) -> dict[str, dict[str, Path]]:
    """(run, node, path) entries as {run: {node: path}}; a pair given twice is refused."""
    grouped: dict[str, dict[str, Path]] = {}
    for strategy, node, path in entries:
        per_node = grouped.setdefault(strategy, {})
        if node in per_node:
            raise ValueError(f"--server-latency {strategy}:{node} given twice")
        per_node[node] = path
    return grouped


def _run(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected STRATEGY=CSV, got {text!r}")
    return name, Path(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.report", description=__doc__.split("\n\n", maxsplit=1)[0]
    )
    parser.add_argument(
        "--run", type=_run, action="append", required=True, help="STRATEGY=CSV; repeatable"
    )
    parser.add_argument("--scenario", type=Path, help="the scenario the runs played")
    parser.add_argument(
        "--node-name",
        type=node_name_pair,
        action="append",
        default=[],
        help="SCENARIO_NODE=SERVED_BY: the name a node reports when it differs; repeatable",
    )
    parser.add_argument(
        "--server-latency",
        type=server_latency_run,
        action="append",
        default=[],
        help="STRATEGY:NODE=CSV: NODE's Prometheus export over that run (prometheus_csv with"
        " the queries of docs/experiments.md); repeatable, one per run and node",
    )
    parser.add_argument("--out", type=Path, required=True, help="report folder to write")
    args = parser.parse_args(argv)
    try:
        write_report(
            args.out,
            dict(args.run),
            args.scenario,
            dict(args.node_name),
            by_run_and_node(args.server_latency),
        )
    except (ScenarioError, RecordFormatError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"report written to {args.out}/summary.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
