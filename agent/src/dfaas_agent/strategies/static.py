"""Static baseline: 60 % of each function's requests run here, 40 % go to its hosts.

The 40 % is split evenly over the peers that host that very function (the
prototype used every neighbour sharing any function, so some received
requests for functions they lacked). Weights sum exactly to 100.
"""

from __future__ import annotations

from collections.abc import Mapping

from dfaas_agent.messages import NodeInfoStatic
from dfaas_agent.model import FunctionPlan, Observation, PeerInfo, Plan, StrategySettings
from dfaas_agent.strategies._shares import MAX_WEIGHT, apportion, candidate_peers, hosts_of
from dfaas_agent.strategies.spec import StrategySpec

NAME = "static"
LOCAL_SHARE = 60


def plan(
    observation: Observation, peers: Mapping[str, PeerInfo], settings: StrategySettings
) -> Plan:
    candidates = candidate_peers(observation, peers, settings)
    functions: dict[str, FunctionPlan] = {}
    for name, observed in sorted(observation.functions.items()):
        hosts = hosts_of(name, candidates)
        if hosts:
            remote_shares = apportion(MAX_WEIGHT - LOCAL_SHARE, dict.fromkeys(hosts, 1.0))
            peer_weights = {peer: weight for peer, weight in remote_shares.items() if weight > 0}
            local_weight = LOCAL_SHARE
        else:
            peer_weights, local_weight = {}, MAX_WEIGHT
        total_weight = local_weight + sum(peer_weights.values())
        offered = observed.offered_rate
        functions[name] = FunctionPlan(
            local_limit=None,
            local_weight=local_weight,
            peer_weights=peer_weights,
            admitted_rates={},
            local_rate=offered * local_weight / total_weight,
            forward_rates={p: offered * w / total_weight for p, w in peer_weights.items()},
            timeout_ms=observed.timeout_ms,
        )
    announcements: tuple[NodeInfoStatic, ...] = ()
    if settings.node_ip is not None:
        announcements = (
            NodeInfoStatic(
                host=settings.node_ip,
                port=settings.public_port,
                functions=sorted(observation.functions),
            ),
        )
    return Plan(strategy=NAME, functions=functions, announcements=announcements)


SPEC = StrategySpec(NAME, plan, aliases=("staticstrategy",))
