"""What the rest of the agent needs to know about a strategy, kept next to its code.

Each strategy module defines `SPEC`; `dfaas_agent.strategies` collects them. Config
validation, the peer table, health and the agent role's checks read these traits
instead of comparing strategy names, so a new strategy touches its module and the
registry only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dfaas_agent.model import Observation, PeerInfo, Plan, StrategySettings

Strategy = Callable[["Observation", Mapping[str, "PeerInfo"], "StrategySettings"], "Plan"]


@dataclass(frozen=True)
class StrategySpec:
    name: str
    """Canonical name (configuration, messages, metrics)."""
    plan: Strategy
    aliases: tuple[str, ...] = ()
    """Other names accepted for it (the prototype's `recalcstrategy`, ...)."""
    validity_periods: float = 2.0
    """How long, in control periods, a peer's announcement stays valid when peers
    announce every period (`peers.validity_for` adds the heartbeat's quiet periods)."""
    forwards: bool = True
    """Sends excess to members: needs `node_ip` to announce and the federation TLS."""
    reads_node_usage: bool = False
    """Decides on CPU and RAM: without Prometheus it is a health problem, not a detail."""
