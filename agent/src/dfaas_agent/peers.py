"""The table of federation peers learnt from gossip messages.

Updates are pure functions of (sender, decoded message, clock reading); the
transport has already authenticated the sender's peer ID and dropped
non-members. Entries expire after a validity window that depends on the
strategy (as in the prototype: 1.2 periods for recalc, 2 periods otherwise) and
on how often an unchanged announcement is repeated (`validity_for`). The clock is
injected so that tests and the simulator control time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from dfaas_agent.messages import (
    Message,
    NodeInfoNMS,
    NodeInfoRecalc,
    NodeInfoStatic,
    NodeMarginInfoNMS,
    TextMessage,
)
from dfaas_agent.model import GroupLoad, PeerInfo, ResourceUsage
from dfaas_agent.strategies import spec_of

Clock = Callable[[], float]
"""Monotonic seconds."""

# At short periods 1.2 periods leaves a live member a fraction of a second of slack:
# one late announcement (a reload, a slow iteration) would drop it and its grants for
# a period, and the excess would get 503s. Dead members leave the data path through
# HAProxy's health checks within seconds anyway, so entries get at least this slack.
MIN_VALIDITY_SLACK_S = 2.0


def validity_for(strategy: str, period_s: float, heartbeat_periods: int = 1) -> float:
    """How long a peer entry stays valid without news, for a strategy name.

    With a heartbeat of 1 (an announcement every period): the strategy's own validity
    (the reference's: 1.2 periods for recalc, 2 for the others), but never less than
    one period plus `MIN_VALIDITY_SLACK_S`. A heartbeat of h periods makes a live but
    quiet member's longest silence h periods instead of one, so the window grows by
    h - 1 periods and keeps today's margin past the heartbeat that is due.
    """
    if heartbeat_periods < 1:
        raise ValueError(f"heartbeat_periods must be >= 1, got {heartbeat_periods!r}")
    quiet_s = (heartbeat_periods - 1) * period_s
    periods = spec_of(strategy).validity_periods
    return quiet_s + max(periods * period_s, period_s + MIN_VALIDITY_SLACK_S)


class PeerTable:
    """Peers that spoke recently, keyed by peer ID."""

    def __init__(self, self_peer_id: str, validity_s: float, clock: Clock) -> None:
        if validity_s <= 0:
            raise ValueError(f"validity_s must be > 0, got {validity_s!r}")
        self._self_peer_id = self_peer_id
        self._validity_s = validity_s
        self._clock = clock
        self._entries: dict[str, PeerInfo] = {}

    @property
    def validity_s(self) -> float:
        return self._validity_s

    def record(self, sender: str, message: Message) -> bool:
        """Apply one message from `sender`; False when it carried nothing for the table."""
        if sender == self._self_peer_id or isinstance(message, TextMessage):
            return False
        now = self._clock()
        self._purge(now)
        current = self._entries.get(sender) or PeerInfo(peer_id=sender)
        self._entries[sender] = dataclasses.replace(
            _updated(current, message, self._self_peer_id), last_seen=now
        )
        return True

    def forget(self, peer_id: str) -> None:
        """Drop a peer at once (e.g. it left the member list)."""
        self._entries.pop(peer_id, None)

    def snapshot(self) -> Mapping[str, PeerInfo]:
        """Live peers, sorted by peer ID, frozen at this instant."""
        self._purge(self._clock())
        return {peer_id: self._entries[peer_id] for peer_id in sorted(self._entries)}

    def _purge(self, now: float) -> None:
        expired = [p for p, e in self._entries.items() if now - e.last_seen > self._validity_s]
        for peer_id in expired:
            del self._entries[peer_id]


def _updated(entry: PeerInfo, message: Message, self_peer_id: str) -> PeerInfo:
    if isinstance(message, NodeInfoRecalc):
        granted = message.func_limits.get(self_peer_id)
        if granted is not None:
            # The recipient's map names every function the sender hosts.
            functions = frozenset(granted)
        elif message.functions is not None:
            functions = frozenset(message.functions)
        else:
            functions = entry.functions
        return dataclasses.replace(
            entry,
            host=message.host,
            port=message.port,
            functions=functions | frozenset(message.functions or ()),
            granted_to_us=dict(sorted((granted or {}).items())),
        )
    if isinstance(message, NodeInfoNMS):
        thresholds = message.max_values
        return dataclasses.replace(
            entry,
            host=message.host,
            port=message.port,
            functions=frozenset(message.functions),
            node_type=message.node_type,
            max_values=ResourceUsage(
                cpu_percent=thresholds.cpu_usage_node,
                ram_bytes=thresholds.ram_usage_node,
                power_microwatts=thresholds.power_usage_node,
            ),
        )
    if isinstance(message, NodeMarginInfoNMS):
        # May arrive before the sender's node info: keep it, the address comes later.
        return dataclasses.replace(
            entry,
            margin=message.margin,
            load=GroupLoad(
                high=message.load.rate_high_usage,
                medium=message.load.rate_medium_usage,
                low=message.load.rate_low_usage,
            ),
            spare_rate=message.spare_rate,
        )
    if isinstance(message, NodeInfoStatic):
        return dataclasses.replace(
            entry, host=message.host, port=message.port, functions=frozenset(message.functions)
        )
    raise TypeError(f"unhandled message type {type(message).__name__}")
