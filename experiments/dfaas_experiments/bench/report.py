"""The bench report: `bench.md` and `bench.json` (same figures), raw CSVs of the load runs."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfaas_experiments.bench.churn import ChurnRun
from dfaas_experiments.bench.measures import Footprint, Overhead, Reaction, ReloadRun
from dfaas_experiments.bench.queue import QueueRun
from dfaas_experiments.bench.stats import Latency
from dfaas_experiments.records import write_records

SECTIONS = (
    "## Machine and command",
    "## Forwarding overhead",
    "## Reaction time",
    "## Hitless reload under load",
    "## Agent footprint",
    "## Churn under load",
    "## Admission queue",
)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Machine:
    cpu_count: int
    load_average: tuple[float, float, float]
    """1, 5 and 15 min load average when the bench started."""
    kernel: str
    python: str
    haproxy: str
    commit: str

    @classmethod
    def now(cls, haproxy_binary: str, repository: Path) -> Machine:
        return cls(
            cpu_count=os.cpu_count() or 0,
            load_average=os.getloadavg(),
            kernel=platform.release(),
            python=platform.python_version(),
            haproxy=_first_line([haproxy_binary, "-v"], repository),
            commit=_first_line(["git", "rev-parse", "--short", "HEAD"], repository),
        )


def _first_line(command: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            command, check=False, cwd=cwd, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    return (done.stdout.strip().splitlines() or ["unknown"])[0]


@dataclass(frozen=True)
class BenchResult:
    command: str
    started_at: str
    wall_s: float
    machine: Machine
    overhead: Overhead
    reaction: Reaction
    reloads: ReloadRun
    idle_footprint: Footprint
    churn: ChurnRun
    queue: QueueRun


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _latency_row(name: str, latency: Latency) -> str:
    cells = " | ".join(_ms(value) for value in (latency.p50, latency.p95, latency.p99))
    return f"| {name} | {latency.count} | {cells} |"


def _footprint_row(name: str, footprint: Footprint) -> str:
    return (
        f"| {name} | {footprint.node} | {footprint.members} | {footprint.window_s:.1f} s"
        f" | {footprint.rss_bytes / MIB:.1f} MiB | {footprint.cpu_s:.2f} s"
        f" | {footprint.cpu_ms_per_period:.1f} ms |"
    )


def markdown(result: BenchResult) -> str:
    machine, overhead, reaction, reloads = (
        result.machine,
        result.overhead,
        result.reaction,
        result.reloads,
    )
    load = ", ".join(f"{value:.2f}" for value in machine.load_average)
    lines = [
        "# `make bench`: loopback federation of three processes",
        "",
        SECTIONS[0],
        "",
        f"- command: `{result.command}`",
        f"- started {result.started_at}, took {result.wall_s:.0f} s",
        f"- {machine.cpu_count} CPUs, load average at start {load} (1, 5, 15 min)",
        f"- kernel {machine.kernel}, Python {machine.python}, {machine.haproxy}",
        f"- commit {machine.commit}",
        "- three nodes on 127.0.0.11-13, each a `dfaas-gateway`, a HAProxy (master-worker)"
        " and a `dfaas-agent run` (strategy recalc, period 1 s, no Prometheus), federation"
        " mutual TLS with a CA made for the run; everything shares these CPUs with the"
        " load generator",
        "",
        SECTIONS[1],
        "",
        f"One call at a time, alternating: a local call to {overhead.local_node}'s public port"
        f" (run by its own gateway) and a call to {overhead.forwarding_node}'s public port, which"
        f" has `dfaas.maxrate` 0 and forwards every call over mutual TLS to a member"
        f" ({_counts(overhead.served_by)}). Function `shasum`, keep-alive client,"
        f" {overhead.samples} measured calls of each kind after a warm-up.",
        "",
        "| call | samples | p50 | p95 | p99 |",
        "|---|---|---|---|---|",
        _latency_row("local", overhead.local),
        _latency_row("forwarded", overhead.forwarded),
        "",
        f"Forwarding overhead: **p50 {_ms(overhead.p50_overhead_ms)}**,"
        f" p99 {_ms(overhead.p99_overhead_ms)} (target: p50 under 2 ms)."
        f" Calls left out: {_counts(overhead.unexpected) or 'none'}.",
        "",
        SECTIONS[2],
        "",
        f"{reaction.node} (`dfaas.maxrate` {reaction.maxrate:g}) is offered"
        f" {reaction.offered_rate:g} req/s from t0 = 0 for {reaction.duration_s:g} s (open loop),"
        f" after an idle period: the overload starts at t0.",
        "",
        f"- first forwarded success: sent at {_s(reaction.first_forwarded_sent_s)},"
        f" answered at {_s(reaction.first_forwarded_done_s)}",
        f"- forwarded share settled at {_percent(reaction.settling.final_share)}"
        f" (mean of the second half) from {_s(reaction.settling.settled_s)} on"
        f" (every later 1 s bin within ±{reaction.settling.tolerance * 100:.0f} points)",
        f"- served {_percent(reaction.served_ratio)}; outcomes {_counts(reaction.outcomes)}",
        f"- forwarded share per second: {_shares(reaction.shares)}",
        "",
        SECTIONS[3],
        "",
        f"Open-loop load of {_rates(reloads.rate_per_node)} for {reloads.duration_s:g} s"
        " while the layouts change (each change makes the agents render, check and reload"
        " their HAProxy):",
        "",
        "| at | change | seen after |",
        "|---|---|---|",
        *(f"| {c.at_s:.1f} s | {c.what} | {c.took_s:.2f} s |" for c in reloads.changes),
        "",
        f"HAProxy reloads during the run: {_counts(reloads.reloads)}."
        f" Outcomes: {_counts(reloads.outcomes)}; {reloads.forwarded} of the served requests"
        f" were forwarded to a member. **Failed requests: {reloads.failed}**"
        " (target 0).",
        *_failure_lines(reloads),
        "",
        f"{reloads.watched}'s member servers for `shasum` (HAProxy `show stat`, polled every"
        f" 0.1 s), each change: {_server_states(reloads) or 'none seen'}.",
        "",
        SECTIONS[4],
        "",
        "From /proc of the `dfaas-agent run` process: VmRSS at the end of the window, user +"
        " system CPU time over the window, per control period (1 s).",
        "",
        "| window | node | members in layout | length | RSS | CPU | CPU per period |",
        "|---|---|---|---|---|---|---|",
        _footprint_row("idle (no client load)", result.idle_footprint),
        _footprint_row("overload (reaction run)", reaction.footprint),
        "",
        *_churn_lines(result.churn),
        "",
        *_queue_lines(result.queue),
    ]
    return "\n".join(lines)


def _churn_lines(churn: ChurnRun) -> list[str]:
    return [
        SECTIONS[5],
        "",
        f"Open-loop load of {churn.rate:g} req/s to {churn.node} (over its local limit: the"
        f" excess goes to the others) for {churn.duration_s:g} s while, one after the other,"
        " each agent is killed (SIGKILL) and started again, a helper is upgraded, every"
        " agent reads a changed configuration on SIGHUP (in the same process, as"
        " federate.yml makes them), then switches strategy and back the same way, then is"
        " stopped and started, all at once, HAProxy reloads in a burst on the sender and"
        " then on a member running its excess, and a node's HAProxy stops. Per event, the"
        " requests sent from its start until 2 s after"
        " its end:",
        "",
        "| at | event | took | sent | failed | p99 | in flight at the stopped node |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {e.start_s:.1f} s | {e.what} | {e.duration_s:.2f} s | {e.sent} | {e.failed} |"
            f" {_ms(e.p99_ms)} |"
            f" {'-' if e.in_flight_at_stopped_node is None else e.in_flight_at_stopped_node} |"
            for e in churn.events
        ),
        "",
        f"Outcomes of the whole run: {_counts(churn.outcomes)}.",
        "",
    ]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))


def _queue_lines(queue: QueueRun) -> list[str]:
    return [
        SECTIONS[6],
        "",
        f"{queue.node} runs a function that sleeps {queue.call_ms} ms a call on {queue.slots}"
        f" execution slots (HAProxy maxconn) with one queue place per slot, local limit"
        f" {queue.local_limit} req/s (what the slots run); it is offered"
        f" {queue.offered_rate:g} req/s for {queue.duration_s:g} s (open loop), so its slots"
        " stay busy, bursts wait for a slot, and the rest goes to its members. A local call's"
        " latency beyond the same call made alone at rest is time spent in the queue.",
        "",
        "| calls | count | p50 | p95 | p99 |",
        "|---|---|---|---|---|",
        _latency_row("alone, at rest", queue.alone),
        _latency_row("run here, under the load", queue.local),
        _latency_row("forwarded to a member", queue.forwarded),
        "",
        f"Latency the queue adds to the calls run here: **p50 {_ms(queue.added_p50_ms)},"
        f" p99 {_ms(queue.added_p99_ms)}** (against the alone p50). Forwarded share"
        f" {_percent(queue.forwarded_share)}; outcomes {_counts(queue.outcomes)}.",
    ]


def _rates(rates: dict[str, float]) -> str:
    return ", ".join(f"{rate:g} req/s to {node}" for node, rate in sorted(rates.items()))


def _shares(shares: list[float | None]) -> str:
    return " ".join("-" if share is None else f"{share * 100:.0f}" for share in shares)


def _server_states(reloads: ReloadRun) -> str:
    return ", ".join(
        f"{state.at_s:.1f} s {state.server} {state.status} weight {state.weight}"
        for state in reloads.server_states
    )


def _failure_lines(reloads: ReloadRun, limit: int = 10) -> list[str]:
    if not reloads.failures:
        return []
    sent = [record.sent_s for record in reloads.failures if record.sent_s is not None]
    lines = [
        "",
        f"Failed requests were sent between {min(sent, default=0.0):.2f} s and"
        f" {max(sent, default=0.0):.2f} s. The first ones"
        " (send time, node, outcome, status, error):",
        "",
    ]
    for record in reloads.failures[:limit]:
        detail = " ".join(str(part) for part in (record.status, record.error) if part)
        lines.append(f"- {record.sent_s or 0.0:.2f} s {record.node} {record.outcome} {detail}")
    return lines


def _latency_json(latency: Latency) -> dict[str, Any]:
    return {
        "count": latency.count,
        "p50_ms": latency.p50,
        "p95_ms": latency.p95,
        "p99_ms": latency.p99,
    }


def _footprint_json(footprint: Footprint) -> dict[str, Any]:
    return {
        "node": footprint.node,
        "members": footprint.members,
        "window_s": footprint.window_s,
        "rss_bytes": footprint.rss_bytes,
        "cpu_s": footprint.cpu_s,
        "cpu_ms_per_period": footprint.cpu_ms_per_period,
    }


def as_json(result: BenchResult) -> dict[str, Any]:
    machine, overhead, reaction, reloads = (
        result.machine,
        result.overhead,
        result.reaction,
        result.reloads,
    )
    return {
        "command": result.command,
        "started_at": result.started_at,
        "wall_s": result.wall_s,
        "machine": {
            "cpu_count": machine.cpu_count,
            "load_average": list(machine.load_average),
            "kernel": machine.kernel,
            "python": machine.python,
            "haproxy": machine.haproxy,
            "commit": machine.commit,
        },
        "forwarding_overhead": {
            "local_node": overhead.local_node,
            "forwarding_node": overhead.forwarding_node,
            "local": _latency_json(overhead.local),
            "forwarded": _latency_json(overhead.forwarded),
            "p50_overhead_ms": overhead.p50_overhead_ms,
            "p99_overhead_ms": overhead.p99_overhead_ms,
            "served_by": overhead.served_by,
            "left_out": overhead.unexpected,
        },
        "reaction": {
            "node": reaction.node,
            "maxrate": reaction.maxrate,
            "offered_rate": reaction.offered_rate,
            "duration_s": reaction.duration_s,
            "first_forwarded_sent_s": reaction.first_forwarded_sent_s,
            "first_forwarded_done_s": reaction.first_forwarded_done_s,
            "settled_s": reaction.settling.settled_s,
            "settled_share": reaction.settling.final_share,
            "tolerance": reaction.settling.tolerance,
            "shares_per_s": reaction.shares,
            "served_ratio": reaction.served_ratio,
            "outcomes": reaction.outcomes,
        },
        "hitless_reload": {
            "rate_per_node": reloads.rate_per_node,
            "duration_s": reloads.duration_s,
            "changes": [
                {"at_s": c.at_s, "what": c.what, "took_s": c.took_s} for c in reloads.changes
            ],
            "reloads": reloads.reloads,
            "outcomes": reloads.outcomes,
            "forwarded": reloads.forwarded,
            "failed": reloads.failed,
            "server_states": {
                "node": reloads.watched,
                "changes": [
                    {"at_s": c.at_s, "server": c.server, "status": c.status, "weight": c.weight}
                    for c in reloads.server_states
                ],
            },
        },
        "agent_footprint": {
            "idle": _footprint_json(result.idle_footprint),
            "overload": _footprint_json(reaction.footprint),
        },
        "queue": {
            "node": result.queue.node,
            "call_ms": result.queue.call_ms,
            "slots": result.queue.slots,
            "local_limit": result.queue.local_limit,
            "offered_rate": result.queue.offered_rate,
            "duration_s": result.queue.duration_s,
            "alone": _latency_json(result.queue.alone),
            "local": _latency_json(result.queue.local),
            "forwarded": _latency_json(result.queue.forwarded),
            "added_p50_ms": result.queue.added_p50_ms,
            "added_p99_ms": result.queue.added_p99_ms,
            "forwarded_share": result.queue.forwarded_share,
            "outcomes": result.queue.outcomes,
        },
        "churn": {
            "node": result.churn.node,
            "rate": result.churn.rate,
            "duration_s": result.churn.duration_s,
            "outcomes": result.churn.outcomes,
            "events": [
                {
                    "what": e.what,
                    "start_s": e.start_s,
                    "duration_s": e.duration_s,
                    "sent": e.sent,
                    "failed": e.failed,
                    "p99_ms": e.p99_ms,
                    "in_flight_at_stopped_node": e.in_flight_at_stopped_node,
                }
                for e in result.churn.events
            ],
        },
    }


def write_report(out: Path, result: BenchResult) -> Path:
    """Write `bench.md`, `bench.json` and `raw/{reaction,reload,churn,queue}.csv` under `out`."""
    (out / "raw").mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(markdown(result))
    (out / "bench.json").write_text(json.dumps(as_json(result), indent=2) + "\n")
    write_records(out / "raw" / "reaction.csv", result.reaction.records)
    write_records(out / "raw" / "reload.csv", result.reloads.records)
    write_records(out / "raw" / "churn.csv", result.churn.records)
    write_records(out / "raw" / "queue.csv", result.queue.records)
    return out / "bench.md"
