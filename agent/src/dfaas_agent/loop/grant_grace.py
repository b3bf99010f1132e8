"""A lowered grant is policed at its earlier value until the member can have heard of it.

A member sends by the grants it last heard: it learns of a lowered one from our
announcement, and weighs its HAProxy by it in its next period. HAProxy here would
enforce the lower grant at once, and while this node is at its limit refuse what the
member sends beyond it (`over-grant`) for up to a period, each refusal a retry
elsewhere or a failed request. So a grant is policed at the highest value it had in the
last `hold_s` (two periods: the announcement, then the member's next period). A raised
grant applies at once; a grant that went away (no reserved share) is not policed at all,
which is already the most permissive.
"""

from __future__ import annotations

import dataclasses
from collections import deque

from dfaas_agent.haproxy.layout import ProxyTuning


class GrantGrace:
    """The grants HAProxy polices, period after period."""

    def __init__(self, hold_s: float) -> None:
        if hold_s < 0:
            raise ValueError(f"hold_s must be >= 0, got {hold_s}")
        self.hold_s = hold_s
        # (function, peer) -> (time, grant) of the last hold_s, oldest first.
        self._recent: dict[tuple[str, str], deque[tuple[float, int]]] = {}

    def policed(self, tuning: ProxyTuning, now: float) -> ProxyTuning:
        """`tuning` with each present grant raised to its highest in the last `hold_s`."""
        self._forget_before(now - self.hold_s)
        admitted: dict[str, dict[str, int]] = {}
        for function, grants in tuning.admitted_rates.items():
            admitted[function] = {}
            for peer, grant in grants.items():
                recent = self._recent.setdefault((function, peer), deque())
                recent.append((now, grant))
                admitted[function][peer] = max(value for _, value in recent)
        if admitted == tuning.admitted_rates:
            return tuning
        return dataclasses.replace(tuning, admitted_rates=admitted)

    def _forget_before(self, cutoff: float) -> None:
        for key in list(self._recent):
            recent = self._recent[key]
            while recent and recent[0][0] < cutoff:
                recent.popleft()
            if not recent:
                del self._recent[key]
