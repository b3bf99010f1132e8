"""Export a run's Prometheus series to CSV, for analysis beside the load generator's records.

    python -m dfaas_experiments.prometheus_csv --url http://127.0.0.1:9090 \\
        --query 'cpu=100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[10s])))' \\
        --query 'forwarded=sum by (proxy) (rate(haproxy_backend_http_requests_total[10s]))' \\
        --start-file run.start --duration 300 --step 1 --out series.csv

One row per sample, long format: `query` (the name given before `=`), `labels` (the
series' labels as `key=value` pairs joined by `,`, sorted), `time_s` (seconds from
the start, so rows line up with the records' `scheduled_s`), `unix_time` and `value`.
A range query that fails, or a name given twice, stops the command with one line
naming it; nothing is written then.

`--via COMMAND` reaches a Prometheus that listens where this machine cannot connect
(on the loopback of a container or a node): each request's URL is given as the last
argument to COMMAND, which prints the answer's body, e.g.
``--url http://127.0.0.1:9090 --via 'podman exec dfaas-testbed-1 curl -sS'``.
"""

from __future__ import annotations

import argparse
import csv
import math
import shlex
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

EXIT_USAGE = 2
EXIT_FAILED = 1
COLUMNS = ("query", "labels", "time_s", "unix_time", "value")
MAX_POINTS = 11_000
"""Prometheus refuses a range query of more points per series than this."""


VIA_TIMEOUT_S = 60.0


class ExportError(Exception):
    """A query that Prometheus did not answer with a range of samples; the text says why."""


class CommandTransport(httpx.BaseTransport):
    """HTTP GETs through a command that fetches a URL (its last argument) and prints the body.

    The command's exit code stands for the transport: 0 gives the body (as status 200; a
    Prometheus error answer is still recognised by its JSON), anything else a connection
    error with the end of its standard error."""

    def __init__(self, argv: Sequence[str], timeout_s: float = VIA_TIMEOUT_S) -> None:
        if not argv:
            raise ValueError("--via: empty command")
        self.argv = list(argv)
        self.timeout_s = timeout_s

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        command = [*self.argv, str(request.url)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=self.timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise httpx.ConnectError(f"{shlex.join(self.argv)}: {error}", request=request) from None
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-2:]
            raise httpx.ConnectError(
                f"{shlex.join(self.argv)}: exit code {done.returncode}: "
                f"{' / '.join(tail) or 'no output'}",
                request=request,
            )
        return httpx.Response(200, content=done.stdout, request=request)


@dataclass(frozen=True)
class Window:
    """Unix seconds [start, end], a sample every `step_s`."""

    start: float
    end: float
    step_s: float = 1.0


@dataclass(frozen=True)
class Sample:
    query: str
    labels: str
    unix_time: float
    value: float


def _named_query(text: str) -> tuple[str, str]:
    name, separator, query = text.partition("=")
    if not separator or not name.strip() or not query.strip() or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected NAME=PROMQL with NAME an identifier, got {text!r}"
        )
    return name.strip(), query.strip()


def _label_text(metric: dict[str, str]) -> str:
    return ",".join(f"{key}={metric[key]}" for key in sorted(metric))


def query_range(client: httpx.Client, name: str, query: str, window: Window) -> Iterator[Sample]:
    """The samples of `query` over the window."""
    points = (window.end - window.start) / window.step_s + 1
    if points > MAX_POINTS:
        raise ExportError(
            f"{name}: {points:.0f} points per series, over Prometheus' {MAX_POINTS}:"
            " use a larger --step"
        )
    try:
        response = client.get(
            "/api/v1/query_range",
            params={
                "query": query,
                "start": window.start,
                "end": window.end,
                "step": window.step_s,
            },
        )
    except httpx.HTTPError as error:
        raise ExportError(f"{name}: Prometheus unreachable: {error}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        start = response.text[:80].strip()
        raise ExportError(
            f"{name}: HTTP {response.status_code}, not a Prometheus answer: {start!r}"
        )
    if body.get("status") != "success":
        raise ExportError(f"{name}: {body.get('errorType', 'error')}: {body.get('error', '?')}")
    data = body.get("data", {})
    if data.get("resultType") != "matrix":
        raise ExportError(f"{name}: expected a range of samples, got {data.get('resultType')!r}")
    for series in data.get("result", []):
        labels = _label_text(series.get("metric", {}))
        for unix_time, value in series.get("values", []):
            number = float(value)  # "NaN" and "+Inf" parse; written as nan and inf
            yield Sample(name, labels, float(unix_time), number)


def export(
    url: str,
    queries: Sequence[tuple[str, str]],
    window: Window,
    out: Path,
    *,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Write every query's samples to `out`; the number of rows written."""
    names = [name for name, _query in queries]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ExportError(f"query name given twice: {', '.join(repeated)}")
    with httpx.Client(base_url=url, timeout=30.0, transport=transport) as client:
        samples = [
            sample for name, query in queries for sample in query_range(client, name, query, window)
        ]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for sample in samples:
            value = repr(sample.value) if math.isfinite(sample.value) else str(sample.value)
            writer.writerow(
                (
                    sample.query,
                    sample.labels,
                    f"{sample.unix_time - window.start:.3f}",
                    f"{sample.unix_time:.3f}",
                    value,
                )
            )
    return len(samples)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.prometheus_csv", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--url", required=True, help="Prometheus base URL")
    parser.add_argument(
        "--via",
        help="command that fetches a URL given as its last argument and prints the body, for"
        " a Prometheus this machine cannot reach, e.g. 'podman exec NODE curl -sS'",
    )
    parser.add_argument(
        "--query", type=_named_query, action="append", required=True, help="NAME=PROMQL; repeatable"
    )
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--start", type=float, help="Unix seconds")
    when.add_argument(
        "--start-file", type=Path, help="the load generator's --start-file: the run's start"
    )
    parser.add_argument("--duration", type=float, required=True, help="seconds from the start")
    parser.add_argument("--step", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.step <= 0:
        parser.error("--duration and --step must be > 0")
    start = args.start
    if args.start_file is not None:
        try:
            start = float(args.start_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError) as error:
            parser.error(f"--start-file {args.start_file}: {error}")
    try:
        window = Window(start, start + args.duration, args.step)
        transport = None if args.via is None else CommandTransport(shlex.split(args.via))
        rows = export(args.url, args.query, window, args.out, transport=transport)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.out}: {rows} samples of {len(args.query)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
