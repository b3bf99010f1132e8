"""Strategy `external`: whether the policy endpoint answered, for the log, /status and metrics.

The control loop asks the endpoint every period; `PolicyRecord` keeps what became of
it. A change (answering -> falling back, one reason -> another, falling back ->
answering) is logged once; a period like the previous one is not logged again.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from dfaas_agent.metrics import AgentMetrics
from dfaas_agent.policy.schema import FallbackReason, PolicyUnavailable

log = logging.getLogger(__name__)


class PolicyRecord:
    """What the policy endpoint did in the periods so far."""

    def __init__(self, url: str, fallback: str, metrics: AgentMetrics) -> None:
        self.url = url
        self.fallback = fallback
        self._metrics = metrics
        self.answering: bool | None = None
        """None until the first period asked it."""
        self.reason: FallbackReason | None = None
        self.problem: str | None = None
        self.periods_in_state = 0
        """Consecutive periods answered well, or planned by the fallback."""
        self.fallbacks: Counter[str] = Counter()
        """Periods planned by the fallback, by reason, since the start."""
        self.answers = 0

    def answered(self) -> None:
        self.answers += 1
        self._metrics.policy_answers.inc()
        if self.answering is False:
            log.info(
                "policy endpoint %s answers again: its shares plan, after %d periods planned by %s",
                self.url,
                self.periods_in_state,
                self.fallback,
            )
        self._enter(answering=True, reason=None, problem=None)

    def failed(self, error: PolicyUnavailable) -> None:
        self.fallbacks[error.reason.value] += 1
        self._metrics.policy_fallbacks.labels(reason=error.reason.value).inc()
        if self.answering is not False or self.reason is not error.reason:
            log.warning(
                "policy endpoint gave no usable answer (%s): %s; %s plans until it does",
                error.reason.value,
                error,
                self.fallback,
            )
        self._enter(answering=False, reason=error.reason, problem=str(error))

    def _enter(
        self, *, answering: bool, reason: FallbackReason | None, problem: str | None
    ) -> None:
        same = self.answering is answering and self.reason is reason
        self.periods_in_state = self.periods_in_state + 1 if same else 1
        self.answering, self.reason, self.problem = answering, reason, problem

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "fallback": self.fallback,
            "answering": self.answering,
            "planned_by": None
            if self.answering is None
            else ("external" if self.answering else self.fallback),
            "reason": self.reason.value if self.reason else None,
            "problem": self.problem,
            "periods_in_state": self.periods_in_state,
            "answers": self.answers,
            "fallbacks": dict(sorted(self.fallbacks.items())),
        }
