"""Server-side latency of a run, from a node's `dfaas_request_duration_seconds` histogram.

Each node's agent turns its HAProxy's log into the histogram (per function, route,
server, origin, status class); the node's Prometheus scrapes it. `prometheus_csv`
exports `SERVER_LATENCY_QUERIES` from each node's Prometheus over the run's window; the
`buckets` query is the cumulative bucket counters of the node's own clients' served
requests per route and server. This module reads such a CSV back and gives, per route
and server, the whole run's request count and quantiles, computed as Prometheus'
`histogram_quantile` does (linear within a bucket), from each series' increase over
the window (a counter that goes down was reset: its new value counts in full; a series
whose first sample comes after the window's start was created during the run, so it
counts from 0).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BUCKETS_QUERY = "buckets"
SERVER_LATENCY_QUERIES: tuple[tuple[str, str], ...] = (
    (
        BUCKETS_QUERY,
        "sum by (le, function, route, server) "
        '(dfaas_request_duration_seconds_bucket{origin="client", status="2xx"})',
    ),
    (
        "server_p50",
        "histogram_quantile(0.5, sum by (le, function, route, server) "
        '(rate(dfaas_request_duration_seconds_bucket{origin="client", status="2xx"}[10s])))',
    ),
    (
        "server_p95",
        "histogram_quantile(0.95, sum by (le, function, route, server) "
        '(rate(dfaas_request_duration_seconds_bucket{origin="client", status="2xx"}[10s])))',
    ),
)
"""NAME=PROMQL pairs to export from each node: `buckets` for the whole-run figures (the
report needs it), `server_p50`/`server_p95` as series over 10 s windows."""
QUANTILES = (0.5, 0.95, 0.99)
LOCAL_SERVER = "local"
"""The `server` label of requests the node ran itself."""
_NEEDED_COLUMNS = ("query", "labels", "time_s", "value")
_NEEDED_LABELS = ("le", "route", "server")


class ServerLatencyError(ValueError):
    """A CSV that does not hold the `buckets` series; the text names the file."""


@dataclass(frozen=True, slots=True)
class ServerLatency:
    """Requests that one node's HAProxy served for its own clients over the whole run,
    by one route and server, with their duration quantiles in ms (None: no request)."""

    route: str
    """`local` (run on the node) or `member` (sent one hop to a member)."""
    server: str
    """The node that ran them, by its scenario name where the report knows it."""
    count: int
    p50: float | None
    p95: float | None
    p99: float | None


def _labels(text: str, where: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in filter(None, text.split(",")):
        key, separator, value = pair.partition("=")
        if not separator:
            raise ServerLatencyError(f"{where}: labels {text!r} are not key=value pairs")
        labels[key] = value
    return labels


def _increase(samples: Sequence[tuple[float, float]]) -> float:
    """A counter's increase over the window; `samples` are (time_s, value), in time order."""
    first_time, first_value = samples[0]
    total = first_value if first_time > 0 else 0.0
    previous = first_value
    for _time, value in samples[1:]:
        total += value - previous if value >= previous else value
        previous = value
    return total


def histogram_quantile(quantile: float, buckets: Mapping[float, float]) -> float | None:
    """Prometheus' estimate: `buckets` maps upper bounds (with +Inf) to cumulative counts."""
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        raise ValueError("no +Inf bucket")
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = quantile * total
    lower_bound, lower_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower_bound  # the highest finite bound, as Prometheus answers
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def read_server_latency(
    path: Path,
    node: str,
    served_names: Mapping[str, str] | None = None,
    *,
    expect_requests: bool = True,
) -> list[ServerLatency]:
    """The whole-run figures per (route, server) of the `buckets` rows of `path`.

    `node` is the node whose Prometheus the file comes from (server `local` is that
    node); `served_names` maps a member's node name (``dfaas-testbed-2``) to the
    scenario's (``node2``). A file without `buckets` rows is refused, unless
    `expect_requests` is False (no client of the node was served: the histogram has
    no series to export then)."""
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    keys: dict[str, tuple[str, str, float]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            missing = [c for c in _NEEDED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ServerLatencyError(
                    f"{path}: not a prometheus_csv export: no column {', '.join(missing)}"
                )
            for row in reader:
                if row["query"] != BUCKETS_QUERY:
                    continue
                where = f"{path}:{reader.line_num}"
                labels = _labels(row["labels"], where)
                absent = [name for name in _NEEDED_LABELS if name not in labels]
                if absent:
                    raise ServerLatencyError(
                        f"{where}: {BUCKETS_QUERY} series without label {', '.join(absent)}"
                        " (export it `sum by (le, function, route, server)`)"
                    )
                try:
                    sample = (float(row["time_s"]), float(row["value"]))
                    bound = float(labels["le"])
                except ValueError as error:
                    raise ServerLatencyError(f"{where}: {error}") from None
                series[row["labels"]].append(sample)
                keys[row["labels"]] = (labels["route"], labels["server"], bound)
    except OSError as error:
        raise ServerLatencyError(f"{path}: {error}") from None
    if not series and not expect_requests:
        return []
    if not series:
        raise ServerLatencyError(
            f"{path}: no {BUCKETS_QUERY!r} series: export it with the query in"
            " dfaas_experiments.server_latency.SERVER_LATENCY_QUERIES (docs/experiments.md)"
        )
    buckets: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for labels_text, samples in series.items():
        route, server, bound = keys[labels_text]
        buckets[(route, server)][bound] += _increase(sorted(samples))
    figures = []
    for (route, server), counts in sorted(buckets.items()):
        if not any(math.isinf(bound) for bound in counts):
            raise ServerLatencyError(
                f"{path}: route {route}, server {server}: no le=+Inf bucket in {BUCKETS_QUERY!r}"
            )
        quantiles = [histogram_quantile(q, counts) for q in QUANTILES]
        p50, p95, p99 = (None if q is None else q * 1000 for q in quantiles)
        name = node if server == LOCAL_SERVER else (served_names or {}).get(server, server)
        total = counts[math.inf]
        figures.append(ServerLatency(route, name, round(total), p50, p95, p99))
    return figures
