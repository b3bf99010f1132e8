"""Arrival-rate schedules: offered load over time, as k6's arrival-rate executors define it.

A schedule is a sequence of segments (constant, linear ramp, a step from one rate
to another, a sine wave, or a recorded trace of per-step rates). The load generator
sends one request each time the expected number of arrivals since the start crosses
k + 1/2, so a constant rate r over d seconds sends exactly round(r * d) requests,
evenly spaced, whatever the server does. The simulator reads the same schedule as a
rate per time step.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

Rate = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Duration = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Segment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    duration_s: Duration

    def rate_at(self, offset_s: float) -> float:
        """Requests per second at `offset_s` seconds into the segment."""
        raise NotImplementedError

    def arrivals(self, offset_s: float) -> float:
        """Expected number of requests in the first `offset_s` seconds of the segment."""
        raise NotImplementedError

    def time_of(self, count: float) -> float:
        """Offset at which `arrivals` reaches `count` (0 <= count <= arrivals(duration))."""
        raise NotImplementedError


class Constant(_Segment):
    """`rate` req/s for `duration_s` seconds."""

    kind: Literal["constant"] = "constant"
    rate: Rate

    def rate_at(self, offset_s: float) -> float:
        return self.rate

    def arrivals(self, offset_s: float) -> float:
        return self.rate * offset_s

    def time_of(self, count: float) -> float:
        return count / self.rate if self.rate > 0 else self.duration_s


class Ramp(_Segment):
    """Linear change from `from_rate` to `to_rate` over `duration_s` (k6 ramping stage)."""

    kind: Literal["ramp"] = "ramp"
    from_rate: Rate
    to_rate: Rate

    @property
    def _slope(self) -> float:
        return (self.to_rate - self.from_rate) / self.duration_s

    def rate_at(self, offset_s: float) -> float:
        return self.from_rate + self._slope * offset_s

    def arrivals(self, offset_s: float) -> float:
        return self.from_rate * offset_s + self._slope * offset_s * offset_s / 2

    def time_of(self, count: float) -> float:
        slope = self._slope
        if abs(slope) < 1e-12:
            return count / self.from_rate if self.from_rate > 0 else self.duration_s
        # Root of slope/2 t^2 + from_rate t - count = 0 in the segment, written in the
        # form that does not cancel when the slope is small.
        discriminant = max(0.0, self.from_rate**2 + 2 * slope * count)
        return 2 * count / (self.from_rate + math.sqrt(discriminant))


class Step(_Segment):
    """`before` req/s until `at_s`, then `after` req/s until `duration_s` (a load step)."""

    kind: Literal["step"] = "step"
    before: Rate
    after: Rate
    at_s: Annotated[float, Field(ge=0, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _step_inside(self) -> Step:
        if self.at_s > self.duration_s:
            raise ValueError(f"at_s ({self.at_s}) must not exceed duration_s ({self.duration_s})")
        return self

    def rate_at(self, offset_s: float) -> float:
        return self.before if offset_s < self.at_s else self.after

    def arrivals(self, offset_s: float) -> float:
        if offset_s <= self.at_s:
            return self.before * offset_s
        return self.before * self.at_s + self.after * (offset_s - self.at_s)

    def time_of(self, count: float) -> float:
        first = self.before * self.at_s
        if count <= first and self.before > 0:
            return count / self.before
        if self.after <= 0:
            return self.duration_s
        return self.at_s + (count - first) / self.after


class Sine(_Segment):
    """`mean` + `amplitude` x sin(2 pi t / `period_s` + `phase`): a slow daily-like wave.

    `amplitude` may not exceed `mean`, so that the rate never goes below zero.
    """

    kind: Literal["sine"] = "sine"
    mean: Rate
    amplitude: Rate
    period_s: Duration
    phase: Annotated[float, Field(allow_inf_nan=False)] = 0.0
    """Radians at t = 0 (-pi/2 starts at the trough)."""

    @model_validator(mode="after")
    def _never_negative(self) -> Sine:
        if self.amplitude > self.mean:
            raise ValueError(
                f"amplitude ({self.amplitude}) must not exceed mean ({self.mean}):"
                " the rate would go below zero"
            )
        return self

    def _angle(self, offset_s: float) -> float:
        return 2 * math.pi * offset_s / self.period_s + self.phase

    def rate_at(self, offset_s: float) -> float:
        return self.mean + self.amplitude * math.sin(self._angle(offset_s))

    def arrivals(self, offset_s: float) -> float:
        wave = self.amplitude * self.period_s / (2 * math.pi)
        return self.mean * offset_s + wave * (
            math.cos(self.phase) - math.cos(self._angle(offset_s))
        )

    def time_of(self, count: float) -> float:
        # arrivals() only grows (the rate is never negative): bisect it.
        low, high = 0.0, self.duration_s
        for _halving in range(60):
            middle = (low + high) / 2
            if self.arrivals(middle) < count:
                low = middle
            else:
                high = middle
        return high


class Trace(_Segment):
    """Recorded rates replayed: `rates[k]` req/s during step k, each `step_s` long.

    `duration_s` is the trace's own length (len(rates) x step_s); give it only to check it.
    """

    kind: Literal["trace"] = "trace"
    rates: Annotated[tuple[Rate, ...], Field(min_length=1, max_length=1_000_000)]
    step_s: Duration = 1.0
    duration_s: Duration = Field(default=0.0, validate_default=False)

    @model_validator(mode="before")
    @classmethod
    def _duration_from_rates(cls, data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("rates"), list | tuple):
            return data
        try:
            step = float(data.get("step_s", 1.0))
        except (TypeError, ValueError):
            return data  # the field's own check names the problem
        if not data["rates"] or not math.isfinite(step) or step <= 0:
            return data
        length = len(data["rates"]) * step
        given = data.get("duration_s")
        if given is not None and not math.isclose(float(given), length):
            raise ValueError(
                f"duration_s ({given}) must be len(rates) x step_s ({length:g}), or left out"
            )
        return {**data, "duration_s": length}

    _sums: list[float] = PrivateAttr(default_factory=list)
    """Arrivals before each step: [0, r0 x step, (r0 + r1) x step, ...]."""

    def model_post_init(self, context: object, /) -> None:
        sums = [0.0]
        for rate in self.rates:
            sums.append(sums[-1] + rate * self.step_s)
        self._sums = sums

    def _index(self, offset_s: float) -> int:
        return min(max(0, int(offset_s // self.step_s)), len(self.rates) - 1)

    def rate_at(self, offset_s: float) -> float:
        return self.rates[self._index(offset_s)]

    def arrivals(self, offset_s: float) -> float:
        index = self._index(offset_s)
        return self._sums[index] + self.rates[index] * (offset_s - index * self.step_s)

    def time_of(self, count: float) -> float:
        # The step k with sums[k] < count <= sums[k + 1]: its rate is > 0, since a step
        # of rate 0 adds nothing to the sums.
        index = bisect.bisect_left(self._sums, count) - 1
        if index < 0:
            return 0.0
        if index >= len(self.rates):
            return self.duration_s
        return index * self.step_s + (count - self._sums[index]) / self.rates[index]


def read_trace(path: Path, step_s: float = 1.0) -> Trace:
    """A trace file: one rate (req/s) per line for each step; blank lines and lines
    starting with '#' are skipped. ValueError names the file and line that is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read the trace: {error}") from None
    rates: list[float] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        try:
            rate = float(entry)
        except ValueError:
            raise ValueError(f"{path}:{number}: not a rate: {entry[:40]!r}") from None
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"{path}:{number}: a rate is a finite number >= 0, got {entry[:40]!r}")
        rates.append(rate)
    if not rates:
        raise ValueError(f"{path}: no rate in it")
    return Trace(rates=tuple(rates), step_s=step_s)


Segment = Annotated[Constant | Ramp | Step | Sine | Trace, Field(discriminator="kind")]


def duration_of(segments: Sequence[Segment]) -> float:
    return sum(segment.duration_s for segment in segments)


def rate_at(segments: Sequence[Segment], time_s: float) -> float:
    """Offered req/s at `time_s` seconds from the start (0 after the last segment)."""
    start = 0.0
    for segment in segments:
        if time_s < start + segment.duration_s:
            return segment.rate_at(max(0.0, time_s - start))
        start += segment.duration_s
    return 0.0


def mean_rate(segments: Sequence[Segment], start_s: float, end_s: float) -> float:
    """Average offered req/s over [start_s, end_s)."""
    if end_s <= start_s:
        raise ValueError(f"empty interval [{start_s}, {end_s})")
    return (arrivals_until(segments, end_s) - arrivals_until(segments, start_s)) / (end_s - start_s)


def arrivals_until(segments: Sequence[Segment], time_s: float) -> float:
    """Expected number of requests in [0, time_s)."""
    total = 0.0
    start = 0.0
    for segment in segments:
        if time_s <= start:
            break
        total += segment.arrivals(min(segment.duration_s, time_s - start))
        start += segment.duration_s
    return total


def send_times(segments: Sequence[Segment]) -> Iterator[float]:
    """Seconds from the start at which the open-loop generator sends each request."""
    start = 0.0
    done = 0.0  # expected arrivals in the segments already walked
    next_count = 0.5
    for segment in segments:
        in_segment = segment.arrivals(segment.duration_s)
        while next_count < done + in_segment:
            offset = segment.time_of(next_count - done)
            yield start + min(offset, segment.duration_s)
            next_count += 1.0
        done += in_segment
        start += segment.duration_s


def request_count(segments: Sequence[Segment]) -> int:
    """How many requests `send_times` yields."""
    total = arrivals_until(segments, duration_of(segments))
    return max(0, math.ceil(total - 0.5))
