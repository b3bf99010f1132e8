"""One row per request: what the load generator writes and the report reads."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Outcome(StrEnum):
    OK = "ok"
    """A 2xx response."""
    HTTP_ERROR = "http_error"
    """Any other HTTP status (429, 503, ...)."""
    ERROR = "error"
    """No response: connection refused, reset, timeout."""
    DROPPED = "dropped"
    """Never sent: the generator had too many requests in flight at that moment."""


# Response headers that name the node that ran the request, most specific first:
# the prototype's all_local/RL data path keeps the sender in DFaaS-Node-ID and puts
# the executing node in DFaaS-Forwarded-To.
SERVED_BY_HEADERS = ("DFaaS-Forwarded-To", "X-Server", "DFaaS-Node-ID", "X-Served-By")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    scheduled_s: float
    """When the schedule asked for the request, seconds from the run start."""
    sent_s: float | None
    """When it was actually sent (None when dropped)."""
    node: str
    """The node the request was sent to (its name, as in X-Server)."""
    function: str
    outcome: Outcome
    status: int | None = None
    latency_ms: float | None = None
    served_by: str = ""
    """The node that ran it, from the response headers ('' when unknown)."""
    x_server: str = ""
    dfaas_node_id: str = ""
    x_served_by: str = ""
    forwarded_to: str = ""
    refused: str = ""
    """Why a member refused it before running it (DFaaS-Refused: over-grant, full,
    runtime-down, runtime-busy, unavailable), when the answer says so."""
    error: str = ""

    @property
    def forwarded(self) -> bool:
        return self.served_by not in ("", self.node)


COLUMNS = tuple(f.name for f in dataclasses.fields(RequestRecord))
OPTIONAL_COLUMNS = ("refused",)


def served_by(headers: dict[str, str]) -> str:
    """The executing node according to `headers` (keys lower-case)."""
    for name in SERVED_BY_HEADERS:
        value = headers.get(name.lower(), "")
        if value:
            return value
    return ""


def in_flight_at(records: Iterable[RequestRecord], node: str, at_s: float) -> int:
    """Requests that `node` was running at `at_s` by the generator's own records: sent
    before, answered (or failed) after, and served there or by nobody known."""
    count = 0
    for record in records:
        if record.sent_s is None or record.latency_ms is None or record.sent_s > at_s:
            continue
        if record.sent_s + record.latency_ms / 1000 >= at_s and record.served_by in ("", node):
            count += 1
    return count


def write_records(path: Path, records: Iterable[RequestRecord]) -> int:
    """Write a CSV with a header row; returns the number of rows."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        for record in records:
            row = dataclasses.astuple(record)
            writer.writerow("" if value is None else value for value in row)
            count += 1
    return count


class RecordFormatError(ValueError):
    """A CSV that is not in the load generator's format."""


def _optional_float(text: str) -> float | None:
    return float(text) if text else None


def with_scenario_names(
    records: Sequence[RequestRecord], scenario_names: Mapping[str, str]
) -> list[RequestRecord]:
    """`records` with `served_by` in the scenario's node names.

    `scenario_names` maps the name a node reports in its response headers
    (``dfaas-testbed-1``) to its name in the scenario (``node1``), for runs whose
    scenario names the nodes differently from the federation. The header columns
    keep what the nodes answered.
    """
    if not scenario_names:
        return list(records)
    return [
        dataclasses.replace(record, served_by=scenario_names.get(served, served))
        for record in records
        for served in (record.served_by,)
    ]


def read_records(path: Path) -> list[RequestRecord]:
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        # Files written before a column was added read it as empty.
        missing = set(COLUMNS) - set(reader.fieldnames or ()) - set(OPTIONAL_COLUMNS)
        if missing:
            raise RecordFormatError(f"{path}: missing columns {', '.join(sorted(missing))}")
        records = []
        for line, row in enumerate(reader, start=2):
            try:
                records.append(
                    RequestRecord(
                        scheduled_s=float(row["scheduled_s"]),
                        sent_s=_optional_float(row["sent_s"]),
                        node=row["node"],
                        function=row["function"],
                        outcome=Outcome(row["outcome"]),
                        status=int(row["status"]) if row["status"] else None,
                        latency_ms=_optional_float(row["latency_ms"]),
                        served_by=row["served_by"],
                        x_server=row["x_server"],
                        dfaas_node_id=row["dfaas_node_id"],
                        x_served_by=row["x_served_by"],
                        forwarded_to=row["forwarded_to"],
                        refused=row.get("refused") or "",
                        error=row["error"],
                    )
                )
            except ValueError as error:
                raise RecordFormatError(f"{path}:{line}: {error}") from None
    return records
