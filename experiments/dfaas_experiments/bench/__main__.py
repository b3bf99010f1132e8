"""`python -m dfaas_experiments.bench --out DIR`: run every measurement, write the report."""

from __future__ import annotations

import argparse
import datetime
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from dfaas_experiments.bench.churn import measure_churn
from dfaas_experiments.bench.measures import (
    measure_idle_footprint,
    measure_overhead,
    measure_reaction,
    measure_reloads,
    wait_for_members,
)
from dfaas_experiments.bench.queue import measure_queue
from dfaas_experiments.bench.report import BenchResult, Machine, markdown, write_report
from dfaas_testing import Federation, LaunchError, find_haproxy, start_federation

NAMES = ("node-a", "node-b", "node-c")
FUNCTION = "shasum"
HELPER_MAXRATE = 1000.0  # node-b and node-c: ample spare capacity, grants never limit
PERIOD_S = 1.0
REPOSITORY = Path(__file__).resolve().parents[3]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.bench",
        description="Start a 3-node loopback federation (processes) and measure forwarding"
        " overhead, reaction time, hitless reload, the agent's footprint and churn under load.",
    )
    parser.add_argument("--out", type=Path, required=True, help="report folder")
    parser.add_argument("--samples", type=int, default=2500, help="calls of each kind")
    parser.add_argument("--warmup", type=int, default=100, help="calls of each kind not counted")
    parser.add_argument("--reaction-maxrate", type=float, default=20.0)
    parser.add_argument("--reaction-rate", type=float, default=60.0, help="req/s offered")
    parser.add_argument("--reaction-duration", type=float, default=15.0, help="seconds")
    parser.add_argument("--tolerance", type=float, default=0.10, help="settled share ± this")
    parser.add_argument("--reload-rate", type=float, default=40.0, help="req/s to each node")
    parser.add_argument("--reload-duration", type=float, default=35.0, help="seconds")
    parser.add_argument("--idle-window", type=float, default=10.0, help="seconds")
    parser.add_argument(
        "--change-pause", type=float, default=2.0, help="seconds of load between layout changes"
    )
    parser.add_argument("--churn-rate", type=float, default=40.0, help="req/s to node-a")
    parser.add_argument("--churn-duration", type=float, default=100.0, help="seconds")
    parser.add_argument("--churn-reloads", type=int, default=20, help="HAProxy reloads in a burst")
    parser.add_argument(
        "--churn-reload-every", type=float, default=0.5, help="seconds between those reloads"
    )
    parser.add_argument("--queue-slots", type=int, default=2, help="execution slots")
    parser.add_argument("--queue-call-ms", type=int, default=50, help="what one call takes, ms")
    parser.add_argument(
        "--queue-overload", type=float, default=1.5, help="offered / what the slots run"
    )
    parser.add_argument("--queue-duration", type=float, default=15.0, help="seconds")
    parser.add_argument(
        "--workdir", type=Path, help="folder for the nodes' files (default: a new temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the nodes' folders and logs")
    return parser


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if not 0 < args.samples <= 20000:
        parser.error(f"--samples must be in 1..20000, got {args.samples}")
    if args.reaction_rate <= args.reaction_maxrate:
        parser.error("--reaction-rate must exceed --reaction-maxrate (it is an overload)")
    if args.workdir is not None and args.workdir.exists() and any(args.workdir.iterdir()):
        parser.error(f"--workdir {args.workdir} is not empty")
    if not 1 <= args.churn_reloads <= 100:
        parser.error(f"--churn-reloads must be in 1..100, got {args.churn_reloads}")
    for name in ("churn_duration", "churn_reload_every"):
        if not 0 < getattr(args, name) <= 300:
            parser.error(f"--{name.replace('_', '-')} must be in (0, 300] s")
    if not 1 <= args.queue_slots <= 64 or not 1 <= args.queue_call_ms <= 1000:
        parser.error("--queue-slots must be in 1..64 and --queue-call-ms in 1..1000")
    if not 1 < args.queue_overload <= 10:
        parser.error(f"--queue-overload must be in (1, 10], got {args.queue_overload}")
    for name in (
        "reaction_duration",
        "reload_duration",
        "idle_window",
        "change_pause",
        "queue_duration",
    ):
        if not 0 < getattr(args, name) <= 120:
            parser.error(f"--{name.replace('_', '-')} must be in (0, 120] s")


def say(line: str) -> None:
    print(f"[bench] {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, workdir: Path) -> BenchResult:
    started = time.monotonic()
    machine = Machine.now(find_haproxy(), REPOSITORY)
    started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    say(f"{machine.cpu_count} CPUs, load average {machine.load_average}; nodes in {workdir}")
    maxrates = {NAMES[0]: args.reaction_maxrate} | dict.fromkeys(NAMES[1:], HELPER_MAXRATE)
    federation: Federation = start_federation(workdir, maxrates, function=FUNCTION)
    try:
        wait_for_members(federation)
        node_a, node_b, node_c = (federation.by_name(name) for name in NAMES)
        say(f"federation formed; idle footprint of {node_a.name} over {args.idle_window:g} s")
        idle = measure_idle_footprint(node_a, args.idle_window, PERIOD_S)
        overhead = measure_overhead(
            federation,
            node_a,
            node_b,
            function=FUNCTION,
            samples=args.samples,
            warmup=args.warmup,
            say=say,
        )
        reaction = measure_reaction(
            federation,
            node_a,
            function=FUNCTION,
            maxrate=args.reaction_maxrate,
            offered_rate=args.reaction_rate,
            duration_s=args.reaction_duration,
            period_s=PERIOD_S,
            tolerance=args.tolerance,
            say=say,
        )
        queue = measure_queue(
            federation,
            node_c,
            slots=args.queue_slots,
            call_ms=args.queue_call_ms,
            overload=args.queue_overload,
            duration_s=args.queue_duration,
            say=say,
        )
        reloads = measure_reloads(
            federation,
            [node_a, node_b],
            node_c,
            rate_per_node=args.reload_rate,
            duration_s=args.reload_duration,
            pause_s=args.change_pause,
            say=say,
        )
        churn = measure_churn(
            federation,
            node_a,
            node_b,
            node_c,
            rate=args.churn_rate,
            duration_s=args.churn_duration,
            reloads=args.churn_reloads,
            reload_every_s=args.churn_reload_every,
            pause_s=args.change_pause,
            say=say,
        )
    except BaseException:
        for node in federation.nodes:
            say(f"--- {node.name} agent log (tail):\n{node.tail('agent')}")
        raise
    finally:
        federation.stop()
    command = "cd experiments && ../.venv/bin/python -m dfaas_experiments.bench " + shlex.join(
        sys.argv[1:]
    )
    return BenchResult(
        command=command.strip(),
        started_at=started_at,
        wall_s=time.monotonic() - started,
        machine=machine,
        overhead=overhead,
        reaction=reaction,
        reloads=reloads,
        idle_footprint=idle,
        churn=churn,
        queue=queue,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check(args, parser)
    if args.workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="dfaas-bench-"))
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args, workdir)
    except LaunchError as error:
        say(f"failed: {error} (node folders kept in {workdir})")
        return 1
    if result.reloads.failed:
        say(f"{result.reloads.failed} requests failed during the reloads: logs kept in {workdir}")
    elif not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    write_report(args.out, result)
    print(markdown(result))
    say(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
