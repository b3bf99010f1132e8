"""Which of a period's announcements to publish: the ones that changed, and a heartbeat.

Peers act on an announcement until it expires (`peers.validity_for`), so an unchanged
one need not go out every period, and every message delivered costs each receiver
CPU (docs/scale.md). Each message kind (`MsgType`) is published when it changed
meaningfully since it was last published, when `heartbeat_periods` periods passed since
then, and whenever the agent asks for everything (its first iteration, which after a
restart may carry a kept plan's announcements; a member heard from for the first time,
which needs our state now, not at the next heartbeat). A heartbeat of 1 publishes
every announcement every period, as the prototype does and its Go agents expect.

What counts as a meaningful change (`changed`):

- any change of address, port, function list, recipients, node type or thresholds;
- a rate (a recalc grant, a node-margin spare rate or group load) that goes to or from
  zero, or moves by more than `RELATIVE_TOLERANCE` of the larger value and more than
  `RATE_RESOLUTION` req/s: the rates are measured over one period and move with every
  measurement, a granting HAProxy polices whole requests per second, and a receiver
  reads grants as proportions of its excess, so a few percent, or half a request per
  second, changes nothing it does, while a member gaining or losing its share does;
- a node-margin margin that goes to or from zero, or moves by more than
  `RELATIVE_TOLERANCE` and more than `MARGIN_RESOLUTION` percentage points.

Changes are measured against what was last published, not against last period's
values, so a slow drift is published once it adds up; whatever small difference stays
unpublished is sent with the next heartbeat. Pure: the caller passes the time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dfaas_agent.messages import Message, NodeInfoRecalc, NodeMarginInfoNMS

RELATIVE_TOLERANCE = 0.1
"""A rate or margin that moves by at most this share of its larger value is unchanged."""
RATE_RESOLUTION = 0.5
"""Req/s: a rate that moves by at most this much is unchanged (HAProxy polices whole req/s)."""
MARGIN_RESOLUTION = 1.0
"""Percentage points: a margin that moves by at most this much is unchanged."""

# A heartbeat is due this much before `heartbeat_periods` full periods have passed, so
# that an iteration a few milliseconds early does not push it one period later.
_EARLY_PERIODS = 0.5


def moved(before: float, after: float, resolution: float) -> bool:
    """Whether a rate or margin changed enough for a peer to act on it."""
    if (before > 0) != (after > 0):
        return True
    return abs(after - before) > max(RELATIVE_TOLERANCE * max(before, after), resolution)


def _rates_moved(before: Mapping[str, float], after: Mapping[str, float]) -> bool:
    return before.keys() != after.keys() or any(
        moved(before[name], rate, RATE_RESOLUTION) for name, rate in after.items()
    )


def _recalc_changed(before: NodeInfoRecalc, after: NodeInfoRecalc) -> bool:
    if (before.host, before.port, before.functions) != (after.host, after.port, after.functions):
        return True
    if before.func_limits.keys() != after.func_limits.keys():
        return True
    return any(
        _rates_moved(before.func_limits[recipient], grants)
        for recipient, grants in after.func_limits.items()
    )


def _margin_changed(before: NodeMarginInfoNMS, after: NodeMarginInfoNMS) -> bool:
    if moved(before.margin, after.margin, MARGIN_RESOLUTION):
        return True
    if (before.spare_rate is None) != (after.spare_rate is None):
        return True
    if (
        before.spare_rate is not None
        and after.spare_rate is not None
        and moved(before.spare_rate, after.spare_rate, RATE_RESOLUTION)
    ):
        return True
    return _rates_moved(before.load.model_dump(), after.load.model_dump())


def changed(before: Message, after: Message) -> bool:
    """Whether `after` differs from the `before` that peers hold in a way they act on."""
    if isinstance(before, NodeInfoRecalc) and isinstance(after, NodeInfoRecalc):
        return _recalc_changed(before, after)
    if isinstance(before, NodeMarginInfoNMS) and isinstance(after, NodeMarginInfoNMS):
        return _margin_changed(before, after)
    # Addresses, function lists, thresholds: configuration, compared exactly.
    return before != after


@dataclass(frozen=True)
class _Published:
    message: Message
    at: float


class Announcer:
    """Remembers what was published and when; says what to publish this period."""

    def __init__(self, heartbeat_periods: int, period_s: float) -> None:
        if heartbeat_periods < 1:
            raise ValueError(f"heartbeat_periods must be >= 1, got {heartbeat_periods!r}")
        if period_s <= 0:
            raise ValueError(f"period_s must be > 0, got {period_s!r}")
        self.heartbeat_periods = heartbeat_periods
        self._heartbeat_s = (heartbeat_periods - _EARLY_PERIODS) * period_s
        self._published: dict[str, _Published] = {}

    def due(
        self, announcements: Sequence[Message], now: float, *, everything: bool = False
    ) -> tuple[Message, ...]:
        """The announcements to publish at `now`, in their order.

        A kind that is no longer announced is forgotten, so that it goes out at once
        should it come back.
        """
        kinds = {message.msg_type for message in announcements}
        for kind in set(self._published) - kinds:
            del self._published[kind]
        if everything or self.heartbeat_periods == 1:
            return tuple(announcements)
        return tuple(message for message in announcements if self._is_due(message, now))

    def published(self, messages: Sequence[Message], now: float) -> None:
        """Record what went out at `now` (only what really did: a failure retries)."""
        for message in messages:
            self._published[message.msg_type] = _Published(message, now)

    def _is_due(self, message: Message, now: float) -> bool:
        last = self._published.get(message.msg_type)
        return last is None or now - last.at >= self._heartbeat_s or changed(last.message, message)
