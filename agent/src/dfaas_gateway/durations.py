"""Durations written the way OpenFaaS users write them (Go style: "4s", "1m30s", "500ms")."""

import re

_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration or a bare number of seconds; ValueError otherwise."""
    stripped = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", stripped):
        seconds = float(stripped)
    elif _DURATION.fullmatch(stripped):
        seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(stripped))
    else:
        raise ValueError(f"'{text}' is not a duration (examples: 4s, 500ms, 1m30s, 2.5)")
    if seconds <= 0:
        raise ValueError(f"duration '{text}' must be positive")
    return seconds
