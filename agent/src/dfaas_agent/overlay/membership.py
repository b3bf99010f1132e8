"""Which gossip messages count: the pure rule, without libp2p."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    DELIVER = "deliver"
    OWN = "own"  # ours, echoed back by the router: relay it, never deliver it to ourselves
    NON_MEMBER = "non_member"
    OVERSIZE = "oversize"


@dataclass(frozen=True)
class MembershipRule:
    own_peer_id: str
    members: frozenset[str]
    max_payload_bytes: int

    def judge(self, sender: str, payload_size: int) -> Verdict:
        """``sender`` must be the signature-verified originator, not the forwarder."""
        if sender == self.own_peer_id:
            return Verdict.OWN
        if sender not in self.members:
            return Verdict.NON_MEMBER
        if payload_size > self.max_payload_bytes:
            return Verdict.OVERSIZE
        return Verdict.DELIVER
