"""What one control iteration saw and decided."""

from __future__ import annotations

from dataclasses import dataclass

from dfaas_agent.haproxy import Applied, ProxyLayout, ProxyTuning
from dfaas_agent.model import Observation, Plan


@dataclass(frozen=True)
class Iteration:
    """What one control iteration saw and decided, for `/status` and the log."""

    finished_at: float
    duration_s: float
    observation: Observation
    plan: Plan | None
    tuning: ProxyTuning | None
    layout: ProxyLayout
    applied: Applied | None
