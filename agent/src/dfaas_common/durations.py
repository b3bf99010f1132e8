"""Durations written the Go way, as OpenFaaS and the prototype take them ("4s", "1m30s", "500ms").

One grammar for the agent's configuration and the function runtime's timeouts. What each
accepts beyond it, whether zero is allowed and how a refusal reads stay with each caller
(`dfaas_agent.durations`, `dfaas_gateway.durations`): the runtime must refuse exactly what
the collection's `openfaas_function` module refuses, the agent also takes YAML numbers.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_GO_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")


def duration_seconds(text: str) -> float | None:
    """Seconds in a Go-style duration or a plain decimal number of seconds ("2.5").

    Surrounding whitespace is ignored; None when `text` is neither (no sign, exponent or
    space inside, no unit other than ms, s, m and h).
    """
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        return float(stripped)
    if _GO_DURATION.fullmatch(stripped):
        return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(stripped))
    return None
