"""Typed views of HAProxy runtime API answers, and rates from its counters.

Pure parsing, no I/O: `show stat` (CSV), `show info`, `show map` and the master
CLI's `show proc`. Rates are computed from cumulative counters over a period,
`rate = delta(counter) / delta(t)`; counters only grow because per-period
changes never reload HAProxy.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from dfaas_agent.haproxy import identifiers

K = TypeVar("K")


class RuntimeAnswerError(ValueError):
    """A runtime API answer that does not have the expected shape."""


# `show stat` row types (column `type`).
FRONTEND, BACKEND, SERVER = 0, 1, 2


@dataclass(frozen=True)
class StatRow:
    """One line of `show stat`: a frontend, a backend or a server."""

    proxy: str
    service: str  # FRONTEND, BACKEND or the server name
    kind: int
    status: str
    weight: int | None
    current_sessions: int
    total_sessions: int
    http_requests: int | None  # req_tot: frontends and backends only
    responses_2xx: int | None
    responses_4xx: int | None
    responses_5xx: int | None
    queued: int = 0
    """`qcur`: requests waiting for a slot now (servers, backends)."""
    response_time_ms: int | None = None
    """`rtime`: average response time of the last 1024 requests (servers, backends)."""

    @property
    def is_server(self) -> bool:
        return self.kind == SERVER


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def parse_show_stat(text: str) -> list[StatRow]:
    """Parse `show stat` CSV (header line starts with `# `)."""
    if not text.startswith("# "):
        raise RuntimeAnswerError(f"show stat answer has no CSV header: {text[:80]!r}")
    reader = csv.DictReader(io.StringIO(text[2:]))
    rows = []
    for record in reader:
        if not record.get("pxname"):
            continue
        rows.append(
            StatRow(
                proxy=record["pxname"],
                service=record["svname"],
                kind=int(record["type"]),
                status=record["status"],
                weight=_int(record["weight"]),
                current_sessions=_int(record["scur"]) or 0,
                total_sessions=_int(record["stot"]) or 0,
                http_requests=_int(record["req_tot"]),
                responses_2xx=_int(record["hrsp_2xx"]),
                responses_4xx=_int(record["hrsp_4xx"]),
                responses_5xx=_int(record["hrsp_5xx"]),
                queued=_int(record.get("qcur")) or 0,
                response_time_ms=_int(record.get("rtime")),
            )
        )
    return rows


@dataclass(frozen=True)
class ProcessInfo:
    """From `show info`: which worker answers and for how long it has run."""

    pid: int
    uptime_s: int
    version: str


def parse_show_info(text: str) -> ProcessInfo:
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    try:
        return ProcessInfo(
            pid=int(fields["Pid"]), uptime_s=int(fields["Uptime_sec"]), version=fields["Version"]
        )
    except (KeyError, ValueError) as error:
        raise RuntimeAnswerError(
            f"show info answer lacks Pid, Uptime_sec or Version: {error}"
        ) from error


def parse_show_map(text: str) -> dict[str, str]:
    """`show map <file>` lines are `<entry id> <key> <value>`."""
    entries = {}
    for line in filter(None, text.splitlines()):
        parts = line.split(" ", 2)
        if len(parts) != 3 or not parts[0].startswith("0x"):
            raise RuntimeAnswerError(f"unexpected show map line: {line!r}")
        entries[parts[1]] = parts[2]
    return entries


def parse_show_table(text: str) -> dict[str, dict[str, int]]:
    """`show table <name>`: per entry key, its integer data (`http_req_cnt`, ...).

    Entry lines read `0x...: key=<key> use=0 exp=123 http_req_cnt=7 ...`; the
    first line (`# table: ...`) describes the table. Keys are function names and
    `<function>@<peer ID>`, which hold no spaces.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# table:"):
        raise RuntimeAnswerError(f"show table answer has no table header: {text[:80]!r}")
    entries: dict[str, dict[str, int]] = {}
    for line in lines[1:]:
        _, _, rest = line.partition(": ")
        fields = dict(field.split("=", 1) for field in rest.split() if "=" in field)
        key = fields.pop("key", None)
        if key is None:
            raise RuntimeAnswerError(f"unexpected show table line: {line!r}")
        entries[key] = {name: int(value) for name, value in fields.items() if value.isdigit()}
    return entries


_FAILED_RELOADS = re.compile(r"\[failed: (\d+)\]")


@dataclass(frozen=True)
class WorkerProcess:
    pid: int
    reloads: int


@dataclass(frozen=True)
class ProcessList:
    """From the master CLI's `show proc`: the current and the draining workers."""

    master_pid: int
    workers: tuple[WorkerProcess, ...]
    old_workers: tuple[WorkerProcess, ...]
    failed_reloads: int = 0  # the master's "[failed: N]" count


def parse_show_proc(text: str) -> ProcessList:
    master_pid = None
    failed_reloads = 0
    workers: list[WorkerProcess] = []
    old_workers: list[WorkerProcess] = []
    section = workers
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# old workers"):
            section = old_workers
            continue
        if not stripped or stripped.startswith("#"):
            continue
        columns = stripped.split()
        if len(columns) < 3 or not columns[0].isdigit():
            continue
        if columns[1] == "master":
            master_pid = int(columns[0])
            failed = _FAILED_RELOADS.search(stripped)
            failed_reloads = int(failed.group(1)) if failed else 0
        elif columns[1] == "worker":
            section.append(WorkerProcess(pid=int(columns[0]), reloads=int(columns[2])))
    if master_pid is None:
        raise RuntimeAnswerError(f"show proc answer names no master: {text[:120]!r}")
    return ProcessList(master_pid, tuple(workers), tuple(old_workers), failed_reloads)


@dataclass(frozen=True)
class RequestCounters:
    """Cumulative counters at one instant (`taken_at` in seconds, monotonic).

    `backends` maps a backend to its HTTP request total; `servers` maps
    (backend, server) to the requests (streams) sent to that server; `tables`
    maps (stick table, key) to that entry's `http_req_cnt`.
    """

    taken_at: float
    backends: dict[str, int]
    servers: dict[tuple[str, str], int]
    tables: dict[tuple[str, str], int] = field(default_factory=dict)
    response_times_ms: dict[tuple[str, str], int] = field(default_factory=dict)
    """Not a counter: each server's average response time (`rtime`) at `taken_at`."""


COUNTED_TABLES = (identifiers.CLIENT_REQUESTS_TABLE, identifiers.PEER_ADMISSIONS_TABLE)
"""Stick tables whose `http_req_cnt` the agent reads every period."""


def counters_from_stats(
    rows: list[StatRow],
    taken_at: float,
    tables: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
) -> RequestCounters:
    backends = {row.proxy: row.http_requests or 0 for row in rows if row.kind == BACKEND}
    servers = {(row.proxy, row.service): row.total_sessions for row in rows if row.is_server}
    counts = {
        (table, key): data["http_req_cnt"]
        for table, entries in (tables or {}).items()
        for key, data in entries.items()
        if "http_req_cnt" in data
    }
    response_times = {
        (row.proxy, row.service): row.response_time_ms
        for row in rows
        if row.is_server and row.response_time_ms
    }
    return RequestCounters(taken_at, backends, servers, counts, response_times)


@dataclass(frozen=True)
class RequestRates:
    """Requests per second over a period, per backend and per server."""

    period_s: float
    backends: dict[str, float]
    servers: dict[tuple[str, str], float]
    tables: dict[tuple[str, str], float] = field(default_factory=dict)
    response_times_ms: dict[tuple[str, str], int] = field(default_factory=dict)
    """The later reading's response times (averages, not rates)."""


def rates_between(earlier: RequestCounters, later: RequestCounters) -> RequestRates:
    """Rates over (earlier, later]; keys absent from `earlier` count from zero.

    A counter that went down means HAProxy restarted (not reloaded): its rate
    over this period is unknown and the key is left out rather than guessed.
    """
    period = later.taken_at - earlier.taken_at
    if period <= 0:
        raise ValueError(f"counters must be taken in order, got a period of {period} s")
    return RequestRates(
        period,
        _rates(earlier.backends, later.backends, period),
        _rates(earlier.servers, later.servers, period),
        _rates(earlier.tables, later.tables, period),
        dict(later.response_times_ms),
    )


def _rates(earlier: dict[K, int], later: dict[K, int], period: float) -> dict[K, float]:
    rates = {}
    for key, count in later.items():
        delta = count - earlier.get(key, 0)
        if delta >= 0:
            rates[key] = delta / period
    return rates
