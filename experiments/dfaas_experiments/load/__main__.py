"""Command line of the load generator.

    python -m dfaas_experiments.load --target node1=http://127.0.0.1:30080 \\
        --function figlet --rate 50 --duration 60 --out run.csv
    python -m dfaas_experiments.load --target node1=URL --function figlet \\
        --start-rate 0 --stage 30:50 --stage 60:50 --out run.csv
    python -m dfaas_experiments.load --scenario scenarios/paper-short.yml \\
        --target node1=URL --target node2=URL --target node3=URL --out run.csv
    python -m dfaas_experiments.load --target node1=URL --function figlet \\
        --trace rates.txt --out run.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import trio

from dfaas_experiments.load.generator import Limits, Progress, Stream, run_load
from dfaas_experiments.records import write_records
from dfaas_experiments.scenario import ScenarioError, load_scenario
from dfaas_experiments.schedule import Constant, Ramp, Segment, read_trace

EXIT_USAGE = 2


def _target(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or not name or not url:
        raise argparse.ArgumentTypeError(f"expected NAME=URL, got {text!r}")
    return name, url


def _stage(text: str) -> tuple[float, float]:
    duration, sep, target = text.partition(":")
    try:
        parsed = float(duration), float(target)
    except ValueError:
        parsed = None
    if not sep or parsed is None:
        raise argparse.ArgumentTypeError(f"expected DURATION_S:TARGET_RATE, got {text!r}")
    return parsed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.load", description=__doc__.split("\n\n", maxsplit=1)[0]
    )
    parser.add_argument(
        "--target",
        type=_target,
        action="append",
        required=True,
        help="NAME=BASE_URL of a node (NAME as the node reports it in X-Server); repeatable",
    )
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--scenario", type=Path, help="replay a scenario's load entries")
    source.add_argument("--rate", type=float, help="constant arrival rate, req/s, per target")
    source.add_argument(
        "--stage",
        type=_stage,
        action="append",
        help="DURATION_S:TARGET_RATE, ramping arrival rate like k6 stages; repeatable",
    )
    source.add_argument(
        "--trace",
        type=Path,
        help="replay recorded rates: a file of one req/s per line, one line per --trace-step",
    )
    parser.add_argument("--trace-step", type=float, default=1.0, help="seconds per trace line")
    parser.add_argument("--duration", type=float, help="seconds, with --rate")
    parser.add_argument("--start-rate", type=float, default=0.0, help="req/s before the stages")
    parser.add_argument("--function", help="function to call, with --rate or --stage")
    parser.add_argument("--body", default="Hello DFaaS", help="request body")
    parser.add_argument("--max-in-flight", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=8.0, help="per request, seconds")
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--max-duration", type=float, default=3600.0, help="seconds")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument(
        "--start-file",
        type=Path,
        help="write the wall-clock time (Unix seconds) that the records' times count from",
    )
    parser.add_argument(
        "--stop-file",
        type=Path,
        help="end the schedule early once this file exists (checked before each request)",
    )
    return parser


def _streams(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Stream]:
    targets = dict(args.target)
    body = args.body.encode()
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)
        missing = sorted({entry.node for entry in scenario.load} - set(targets))
        if missing:
            parser.error(f"--target missing for scenario node(s): {', '.join(missing)}")
        return [
            Stream(entry.node, targets[entry.node], entry.function, entry.segments, body)
            for entry in scenario.load
        ]
    if not args.function:
        parser.error("--function is required with --rate, --stage or --trace")
    segments: list[Segment]
    if args.trace is not None:
        if args.trace_step <= 0:
            parser.error(f"--trace-step must be > 0, got {args.trace_step:g}")
        segments = [read_trace(args.trace, args.trace_step)]
    elif args.rate is not None:
        if args.duration is None:
            parser.error("--duration is required with --rate")
        segments = [Constant(rate=args.rate, duration_s=args.duration)]
    else:
        segments, rate = [], args.start_rate
        for duration, target in args.stage:
            segments.append(Ramp(from_rate=rate, to_rate=target, duration_s=duration))
            rate = target
    return [Stream(name, url, args.function, segments, body) for name, url in targets.items()]


def _print_progress(progress: Progress) -> None:
    print(f"\r{progress.line()}", end="", file=sys.stderr, flush=True)


def _write_start(path: Path) -> None:
    path.write_text(f"{time.time():.6f}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        streams = _streams(args, parser)
        limits = Limits(
            max_in_flight=args.max_in_flight,
            timeout_s=args.timeout,
            max_requests=args.max_requests,
            max_duration_s=args.max_duration,
        )
        on_start = None if args.start_file is None else partial(_write_start, args.start_file)
        stop = None if args.stop_file is None else args.stop_file.exists
        records = trio.run(
            run_load, streams, limits, None if args.quiet else _print_progress, on_start, stop
        )
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except TimeoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(file=sys.stderr)
    count = write_records(args.out, records)
    print(f"wrote {count} requests to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
