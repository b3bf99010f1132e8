"""Durations written the Go way ("1m", "5s", "500ms", "1m30s") or as seconds."""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or a duration string; ValueError names the problem."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            if not _WHOLE.fullmatch(text):
                raise ValueError(
                    f"expected a duration such as 60, '1m', '5s' or '500ms', got {value!r}"
                ) from None
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
    else:
        # ValueError rather than TypeError: pydantic reports only ValueError as a bad value.
        raise ValueError(f"expected a duration such as 60, '1m' or '500ms', got {value!r}")  # noqa: TRY004
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"must be a finite duration >= 0, got {value!r}")
    return seconds
