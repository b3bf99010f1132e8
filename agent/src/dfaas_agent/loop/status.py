"""The agent's `/status` document, built from its state as the control loop last left it."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, Protocol

from dfaas_agent.config import AgentConfig
from dfaas_agent.loop.configuration import ConfigurationRecord
from dfaas_agent.loop.health import ComponentHealth
from dfaas_agent.loop.iteration import Iteration
from dfaas_agent.loop.policy import PolicyRecord
from dfaas_agent.overlay import Overlay
from dfaas_agent.peers import PeerTable


class AgentState(Protocol):
    """What `/status` reads of the agent (`dfaas_agent.agent.Agent`)."""

    @property
    def config(self) -> AgentConfig: ...
    @property
    def peer_id(self) -> str: ...
    @property
    def peers(self) -> PeerTable: ...
    @property
    def overlay(self) -> Overlay: ...
    @property
    def health(self) -> ComponentHealth: ...
    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def last(self) -> Iteration | None: ...
    @property
    def dropped_undecodable(self) -> int: ...
    @property
    def configuration(self) -> ConfigurationRecord | None: ...
    @property
    def policy_record(self) -> PolicyRecord | None: ...


def agent_status(agent: AgentState) -> dict[str, Any]:
    """A JSON-serialisable snapshot: identity, members, functions, node usage, components,
    overlay counters, the last iteration and the configuration file."""
    last = agent.last
    configured = {member.peer_id: member.name for member in agent.config.members}
    fresh = sorted(frozenset(agent.peers.snapshot()) & frozenset(configured))
    return {
        "peer_id": agent.peer_id,
        "node_name": agent.config.node_name,
        "strategy": agent.config.strategy,
        "period_s": agent.config.period,
        "members": {
            "configured": configured,
            "connected": sorted(agent.overlay.members() & frozenset(configured)),
            "fresh": fresh,
            "in_layout": [m.peer_id for m in last.layout.members] if last else [],
        },
        "functions": _function_status(last) if last else {},
        "node": {
            "cpu_percent": last.observation.cpu_percent if last else None,
            "ram_bytes": last.observation.ram_bytes if last else None,
            "forecast": (
                dataclasses.asdict(last.observation.forecast)
                if last and last.observation.forecast
                else None
            ),
        },
        "components": agent.health.as_dict(),
        "policy": agent.policy_record.as_dict() if agent.policy_record else None,
        "overlay": {
            **agent.overlay.stats.as_dict(),
            "dropped_undecodable": agent.dropped_undecodable,
        },
        "last_iteration": (
            {
                "age_s": round(agent.clock() - last.finished_at, 3),
                "duration_s": round(last.duration_s, 6),
                "haproxy": last.applied.value if last.applied else None,
            }
            if last
            else None
        ),
        "configuration": agent.configuration.as_dict() if agent.configuration else None,
    }


def _function_status(iteration: Iteration) -> dict[str, Any]:
    status: dict[str, Any] = {}
    plan = iteration.plan
    tuning = iteration.tuning
    for name, observed in iteration.observation.functions.items():
        function_plan = plan.functions.get(name) if plan else None
        status[name] = {
            "maxrate": observed.maxrate,
            "observed": {
                "offered_rate": _rounded(observed.offered_rate),
                "executed_rate": _rounded(observed.executed_rate),
            },
            "local_limit": tuning.local_limit(name) if tuning else None,
            "local_weight": function_plan.local_weight if function_plan else None,
            "weights": dict(function_plan.peer_weights) if function_plan else {},
            "admitted_rates": (
                {peer: _rounded(rate) for peer, rate in function_plan.admitted_rates.items()}
                if function_plan
                else {}
            ),
        }
    return status


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 3)
