"""What a node's stop cost a load run, from the generator's own records.

    python -m dfaas_experiments.node_stop run.csv --start-file run.start \\
        --stopped-at 1796000000.25 --node dfaas-fed-2 [--detect-s 2]

prints one JSON object: when the node stopped (seconds into the run), how many
requests it was running then (`in_flight`), how many requests failed, and how many of
those were sent once its peers could know (`failed_after_detect`: sent more than
`--detect-s` after the stop, the health checks' bound). Failures split in two:
`refused`, refused before running by a node that said so (`DFaaS-Refused`: no room,
over its grant; the federation lost a node's capacity and its grants take a period or
two to follow), and `lost`, every other failure (no answer, an error from the stopped
node). Only requests in flight at the stopped node may be lost, and none sent after its
peers could know (`lost_after_detect`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dfaas_experiments.records import Outcome, RequestRecord, in_flight_at, read_records

FAILED = (Outcome.ERROR, Outcome.HTTP_ERROR)


def stop_figures(
    csv_path: Path, start_epoch: float, stopped_epoch: float, node: str, detect_s: float
) -> dict[str, float | int]:
    records = read_records(csv_path)
    stopped_s = stopped_epoch - start_epoch
    failed = [r for r in records if r.outcome in FAILED]
    lost = [r for r in failed if not r.refused]

    def after_detect(rows: list[RequestRecord]) -> int:
        return sum(1 for r in rows if r.sent_s is not None and r.sent_s > stopped_s + detect_s)

    return {
        "stopped_at_s": round(stopped_s, 3),
        "sent": sum(1 for r in records if r.sent_s is not None),
        "in_flight": in_flight_at(records, node, stopped_s),
        "failed": len(failed),
        "failed_after_detect": after_detect(failed),
        "refused": len(failed) - len(lost),
        "lost": len(lost),
        "lost_after_detect": after_detect(lost),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dfaas_experiments.node_stop",
        description=__doc__.split("\n\n", maxsplit=1)[0],
    )
    parser.add_argument("csv", type=Path, help="the load generator's records")
    parser.add_argument(
        "--start-file", type=Path, required=True, help="the generator's --start-file"
    )
    parser.add_argument(
        "--stopped-at", type=float, required=True, help="when the node stopped (Unix seconds)"
    )
    parser.add_argument("--node", required=True, help="the stopped node's name (X-Served-By)")
    parser.add_argument(
        "--detect-s", type=float, default=2.0, help="seconds its peers take to know (2)"
    )
    args = parser.parse_args(argv)
    try:
        start = float(args.start_file.read_text())
        figures = stop_figures(args.csv, start, args.stopped_at, args.node, args.detect_s)
    except (OSError, ValueError) as error:  # RecordFormatError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
