"""Arithmetic shared by the strategies: integer weights and proportional splits."""

from __future__ import annotations

import math
from collections.abc import Mapping

from dfaas_agent.model import MAX_WEIGHT, Observation, PeerInfo, StrategySettings

__all__ = ["MAX_WEIGHT", "apportion", "candidate_peers", "hosts_of"]


def apportion(total: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Integer parts of `total` proportional to `shares`, summing exactly to `total`.

    Largest remainder method; ties go to the smaller key, so the result does not
    depend on the mapping's order. All-zero shares give all-zero parts.
    """
    keys = sorted(shares)
    whole = math.fsum(shares[key] for key in keys)
    if whole <= 0:
        return dict.fromkeys(keys, 0)
    exact = {key: shares[key] * total / whole for key in keys}
    parts = {key: math.floor(exact[key]) for key in keys}
    leftover = total - sum(parts.values())
    by_remainder = sorted(keys, key=lambda key: (-(exact[key] - parts[key]), key))
    for key in by_remainder[:leftover]:
        parts[key] += 1
    return parts


def split(amount: float, weights: Mapping[str, int]) -> dict[str, float]:
    """`amount` divided in proportion to `weights` (nothing when all weights are zero)."""
    whole = sum(weights.values())
    if whole <= 0 or amount <= 0:
        return {}
    return {key: amount * weights[key] / whole for key in sorted(weights) if weights[key] > 0}


def candidate_peers(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> dict[str, PeerInfo]:
    """Peers a request could go to: reachable members other than this node, sorted by ID."""
    return {
        peer_id: peers[peer_id]
        for peer_id in sorted(peers)
        if peer_id != observation.peer_id
        and peers[peer_id].reachable
        and (not settings.members or peer_id in settings.members)
    }


def hosts_of(function: str, peers: Mapping[str, PeerInfo]) -> list[str]:
    """Peer IDs, sorted, of the peers that host `function`."""
    return sorted(peer_id for peer_id, info in peers.items() if info.hosts(function))
