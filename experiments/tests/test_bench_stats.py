"""The bench's figures on hand-made samples."""

from __future__ import annotations

import pytest

from dfaas_experiments.bench.measures import Overhead
from dfaas_experiments.bench.stats import Latency, forwarded_share_per_bin, settling
from dfaas_experiments.records import Outcome, RequestRecord


def _record(sent_s: float, served_by: str, outcome: Outcome = Outcome.OK) -> RequestRecord:
    return RequestRecord(
        scheduled_s=sent_s,
        sent_s=sent_s,
        node="node-a",
        function="shasum",
        outcome=outcome,
        served_by=served_by,
    )


def test_percentiles_interpolate_linearly_between_samples() -> None:
    latency = Latency.of([float(value) for value in range(100, 0, -1)])

    assert (latency.count, latency.p50, latency.p95, latency.p99) == (100, 50.5, 95.05, 99.01)


def test_overhead_is_the_forwarded_percentile_minus_the_local_one() -> None:
    overhead = Overhead(
        local_node="node-b",
        forwarding_node="node-a",
        samples=3,
        local=Latency(3, 1.0, 2.0, 3.0),
        forwarded=Latency(3, 1.5, 2.5, 7.0),
        unexpected={},
        served_by={"node-b": 3},
    )

    assert (overhead.p50_overhead_ms, overhead.p99_overhead_ms) == (0.5, 4.0)


def test_overhead_is_unknown_without_samples() -> None:
    overhead = Overhead("node-b", "node-a", 0, Latency.of([]), Latency.of([1.0]), {}, {})

    assert overhead.p50_overhead_ms is None


def test_forwarded_share_counts_served_requests_per_bin() -> None:
    records = [
        _record(0.1, "node-a"),
        _record(0.2, "node-b"),
        _record(0.3, "", Outcome.HTTP_ERROR),
        _record(1.5, "node-c"),
        _record(2.99, "node-a"),
    ]

    assert forwarded_share_per_bin(records, 1.0, 4.0) == [0.5, 1.0, 0.0, None]


def test_a_request_sent_after_the_last_bin_counts_in_it() -> None:
    assert forwarded_share_per_bin([_record(2.0, "node-b")], 1.0, 2.0) == [None, 1.0]


def test_forwarded_share_refuses_an_empty_bin_width() -> None:
    with pytest.raises(ValueError, match="bin_s must be > 0"):
        forwarded_share_per_bin([], 0.0, 1.0)


def test_share_settles_at_the_first_bin_after_which_it_stays_within_tolerance() -> None:
    shares: list[float | None] = [0.0, None, 0.7, 0.3, 0.62, 0.66, 0.68, 0.64]

    result = settling(shares, 0.5, tolerance=0.05)

    assert result.final_share == pytest.approx(0.65)
    assert result.settled_s == 2.0


def test_share_that_never_settles_has_no_settling_time() -> None:
    result = settling([0.6, 0.6, 0.6, 0.9], 1.0, tolerance=0.05)

    assert result.settled_s is None


def test_share_with_nothing_served_has_no_final_value() -> None:
    result = settling([None, None], 1.0, tolerance=0.1)

    assert (result.final_share, result.settled_s) == (None, None)
