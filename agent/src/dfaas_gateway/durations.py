"""Durations written the way OpenFaaS users write them (Go style: "4s", "1m30s", "500ms").

The same as the collection's `openfaas_function` module accepts (function_rules.py).
"""

from dfaas_common.durations import duration_seconds


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration or a bare number of seconds; ValueError otherwise."""
    seconds = duration_seconds(text)
    if seconds is None:
        raise ValueError(f"'{text}' is not a duration (examples: 4s, 500ms, 1m30s, 2.5)")
    if seconds <= 0:
        raise ValueError(f"duration '{text}' must be positive")
    return seconds
