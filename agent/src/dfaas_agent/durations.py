"""Durations in the agent's configuration: Go-style strings ("1m", "5s", "500ms") or seconds."""

from __future__ import annotations

import math

from dfaas_common.durations import duration_seconds


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or a duration string; ValueError names the problem.

    Besides the shared grammar, a string that Python reads as a number ("1e3", "+5") also
    counts as seconds; zero is allowed.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        parsed = duration_seconds(value)
        if parsed is None:
            try:
                parsed = float(value)
            except ValueError:
                raise ValueError(
                    f"expected a duration such as 60, '1m', '5s' or '500ms', got {value!r}"
                ) from None
        seconds = parsed
    else:
        # ValueError rather than TypeError: pydantic reports only ValueError as a bad value.
        raise ValueError(f"expected a duration such as 60, '1m' or '500ms', got {value!r}")  # noqa: TRY004
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"must be a finite duration >= 0, got {value!r}")
    return seconds
