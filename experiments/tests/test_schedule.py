"""Arrival-rate schedules: how many requests leave, and when."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pydantic import ValidationError

from dfaas_experiments.schedule import (
    Constant,
    Ramp,
    Segment,
    Sine,
    Step,
    Trace,
    arrivals_until,
    mean_rate,
    rate_at,
    read_trace,
    request_count,
    send_times,
)


def test_constant_rate_sends_rate_times_duration_evenly_spaced() -> None:
    times = list(send_times([Constant(rate=10, duration_s=2)]))

    assert len(times) == 20
    assert times[0] == pytest.approx(0.05)
    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([0.1] * 19)


def test_ramp_sends_the_integral_of_its_rate() -> None:
    # 0 -> 20 req/s over 10 s: 100 requests, denser towards the end.
    segments = [Ramp(from_rate=0, to_rate=20, duration_s=10)]

    times = list(send_times(segments))

    assert len(times) == request_count(segments) == 100
    assert sum(1 for t in times if t < 5) == 25
    assert times == sorted(times)
    assert all(0 <= t <= 10 for t in times)


def test_stages_follow_each_other_in_time() -> None:
    segments: list[Segment] = [
        Constant(rate=2, duration_s=5),
        Ramp(from_rate=2, to_rate=0, duration_s=4),
    ]

    times = list(send_times(segments))

    assert len(times) == 14
    assert sum(1 for t in times if t < 5) == 10


def test_step_changes_rate_at_its_instant() -> None:
    segments = [Step(before=1, after=10, at_s=4, duration_s=6)]

    assert rate_at(segments, 3.9) == 1
    assert rate_at(segments, 4.0) == 10
    assert arrivals_until(segments, 6) == pytest.approx(24)
    assert mean_rate(segments, 4, 6) == pytest.approx(10)
    assert len(list(send_times(segments))) == 24


def test_rate_is_zero_after_the_schedule() -> None:
    assert rate_at([Constant(rate=5, duration_s=1)], 1.5) == 0


def test_step_after_its_duration_is_refused() -> None:
    with pytest.raises(ValidationError, match="at_s"):
        Step(before=1, after=2, at_s=10, duration_s=5)


def test_negative_rate_is_refused() -> None:
    with pytest.raises(ValidationError, match="rate"):
        Constant(rate=-1, duration_s=5)


def test_sine_sends_its_mean_rate_over_whole_periods_densest_at_the_crest() -> None:
    # 10 +- 8 req/s, period 20 s, from the trough: 400 requests in 40 s.
    segments = [Sine(mean=10, amplitude=8, period_s=20, phase=-1.5707963267948966, duration_s=40)]

    times = list(send_times(segments))

    assert len(times) == request_count(segments) == 400
    assert rate_at(segments, 10) == pytest.approx(18)
    assert rate_at(segments, 0) == pytest.approx(2)
    crest = sum(1 for t in times if 8 <= t < 12)
    trough = sum(1 for t in times if 18 <= t < 22)
    assert crest > 3 * trough
    assert times == sorted(times)


def test_sine_deeper_than_its_mean_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not exceed mean"):
        Sine(mean=5, amplitude=6, period_s=10, duration_s=10)


def test_a_trace_sends_each_steps_rate_within_that_step() -> None:
    trace = Trace(rates=(10, 0, 2.5, 4), step_s=2)

    times = list(send_times([trace]))

    assert trace.duration_s == 8
    assert len(times) == request_count([trace]) == 20 + 0 + 5 + 8
    per_step = [sum(1 for t in times if 2 * k <= t < 2 * (k + 1)) for k in range(4)]
    assert per_step == [20, 0, 5, 8]
    assert times == sorted(times)
    assert rate_at([trace], 4.5) == 2.5
    assert mean_rate([trace], 0, 8) == pytest.approx(33 / 8)


def test_a_trace_follows_the_segment_before_it() -> None:
    segments: list[Segment] = [Constant(rate=4, duration_s=1), Trace(rates=(0, 6))]

    times = list(send_times(segments))

    assert len(times) == 10
    assert not [t for t in times if 1 <= t < 2]
    assert arrivals_until(segments, 3) == pytest.approx(10)


def test_a_trace_step_given_as_text_still_sets_its_duration() -> None:
    assert Trace.model_validate({"kind": "trace", "rates": [1, 2], "step_s": "0.5"}).duration_s == 1


@pytest.mark.parametrize("step", ["soon", 0, -1])
def test_a_trace_with_a_bad_step_is_refused_naming_it(step: object) -> None:
    with pytest.raises(ValidationError, match="step_s"):
        Trace.model_validate({"kind": "trace", "rates": [1, 2], "step_s": step})


def test_a_trace_whose_duration_disagrees_with_its_rates_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"len\(rates\) x step_s \(3\)"):
        Trace.model_validate({"kind": "trace", "rates": [1, 2, 3], "duration_s": 5})


def test_a_trace_file_has_one_rate_per_line(tmp_path: Path) -> None:
    path = tmp_path / "rates.txt"
    path.write_text("# node-a, funca, req/s per second\n10\n\n12.5\n0\n", encoding="utf-8")

    trace = read_trace(path, step_s=0.5)

    assert trace.rates == (10.0, 12.5, 0.0)
    assert trace.duration_s == 1.5


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("5\nfive\n", "rates.txt:2: not a rate: 'five'"),
        ("5\n-1\n", "rates.txt:2: a rate is"),
        ("nan\n", "rates.txt:1: a rate is"),
        ("# only a comment\n", "no rate in it"),
    ],
)
def test_a_bad_trace_file_is_refused_naming_the_line(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "rates.txt"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ValueError, match=problem):
        read_trace(path)
