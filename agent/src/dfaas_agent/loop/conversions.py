"""Turn the strategy's view (members, functions, plans) into the HAProxy adapter's types.

`ProxyLayout` is structural (members, functions) and only changes when those
sets change; `ProxyTuning` carries one period's numbers. Rates become whole
requests per second here because HAProxy compares integers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from dfaas_agent import config as agent_config
from dfaas_agent.function_runtime import DeployedFunction
from dfaas_agent.haproxy import (
    ConnectionLimits,
    FunctionSpec,
    LayoutError,
    Member,
    PeerTls,
    ProxyFiles,
    ProxyLayout,
    ProxyTuning,
)
from dfaas_agent.model import FunctionPlan, Plan

# Float arithmetic may leave 9.999999 where the strategy meant 10.
_ROUNDING_SLACK = 1e-6


def proxy_files(config: agent_config.AgentConfig) -> ProxyFiles:
    """Where this node's HAProxy configuration, maps and sockets are."""
    return ProxyFiles(
        config_file=config.haproxy.rendered_config_file,
        state_dir=config.haproxy.state_dir,
        stats_socket=config.haproxy.admin_socket,
        master_socket=config.haproxy.master_socket,
    )


def peer_tls(config: agent_config.AgentConfig) -> PeerTls | None:
    ca_file = config.haproxy.peer_ca_file
    certificate_file = config.haproxy.peer_certificate_file
    if ca_file is None or certificate_file is None:
        return None
    return PeerTls(ca_file=ca_file, certificate_file=certificate_file)


def layout_members(
    configured: Iterable[agent_config.Member], *, own_peer_id: str, peer_port: int
) -> tuple[Member, ...]:
    """Every configured member but this node: one server each in HAProxy.

    Alive or not: HAProxy's health checks take a dead member out of the data path
    within seconds, and the plan weighs only members it heard from. So the layout,
    and with it HAProxy's structure, changes only with the member list, never when a
    member stops or starts (no reload then, and no worker counting its slots anew).
    The host comes from the configuration, never from a gossip message (a member
    could otherwise point our forwarded traffic anywhere).
    """
    return tuple(
        Member(peer_id=member.peer_id, name=member.name, host=member.address, peer_port=peer_port)
        for member in sorted(configured, key=lambda member: member.peer_id)
        if member.peer_id != own_peer_id
    )


def servable_functions(
    functions: Iterable[DeployedFunction],
) -> tuple[list[DeployedFunction], list[str]]:
    """Functions HAProxy can route to, and a problem line for each one it cannot."""
    servable, problems = [], []
    for function in functions:
        try:
            FunctionSpec(name=function.name, timeout_ms=function.timeout_ms)
        except LayoutError as error:
            problems.append(f"function {function.name!r} not served through HAProxy: {error}")
            continue
        servable.append(function)
    return servable, problems


def proxy_layout(
    config: agent_config.AgentConfig,
    *,
    node_id: str,
    members: tuple[Member, ...],
    functions: Iterable[DeployedFunction],
) -> ProxyLayout:
    """This node's proxy structure for the given live members and deployed functions."""
    gateway = urlsplit(config.gateway_url)
    gateway_port = gateway.port or (443 if gateway.scheme == "https" else 80)
    tls = peer_tls(config)
    return ProxyLayout(
        node_id=node_id,
        node_name=config.node_name or node_id,
        gateway_host=gateway.hostname or "127.0.0.1",
        gateway_port=gateway_port,
        # Without TLS material nothing can be forwarded: the layout has no members.
        members=members if tls is not None else (),
        functions=tuple(
            FunctionSpec(name=function.name, timeout_ms=function.timeout_ms)
            for function in sorted(functions, key=lambda function: function.name)
        ),
        tls=tls,
        # The peer port serves every configured member, alive or not: a member whose
        # agent is down still forwards to us, and its requests must not get 403.
        admitted_peers=config.member_ids if tls is not None else frozenset(),
        bind_address=config.haproxy.bind_address,
        public_port=config.haproxy.public_port,
        peer_port=config.haproxy.peer_port,
        exporter_port=config.haproxy.exporter_port,
        latency_log_port=config.haproxy.latency_log_port,
        connections=ConnectionLimits(
            maxconn=config.haproxy.maxconn,
            public_per_source=config.haproxy.public_connections_per_source,
        ),
    )


def local_limit(plan: FunctionPlan) -> int | None:
    """Client requests per second run here before the excess goes to members.

    Recalc-like plans set the limit. Plans that split all traffic by weight
    (static, node margin) leave it unset, but HAProxy runs requests locally up
    to the limit and splits only the excess by the member weights. Their split
    therefore becomes "run the planned local rate here, spread the rest":
    without peer weights everything runs here, with a local weight of 0 nothing
    does, and before any traffic was seen (planned local rate 0) everything does.
    """
    if plan.local_limit is not None:
        return max(0, math.floor(plan.local_limit + _ROUNDING_SLACK))
    if sum(plan.peer_weights.values()) <= 0:
        return None
    if plan.local_weight <= 0:
        return 0
    if plan.local_rate <= 0:
        return None
    return math.floor(plan.local_rate + _ROUNDING_SLACK)


def admitted_rate(rate: float) -> int | None:
    """A grant as HAProxy polices it; None (not policed) for no reserved share.

    A grant of 0 means "no reserved share", not "reject this member": a 0 in the
    map would deny every request. A positive grant is rounded up so that a member
    sending exactly its grant is never refused by our rounding.
    """
    if rate <= 0:
        return None
    return math.ceil(rate - _ROUNDING_SLACK)


def proxy_tuning(
    plan: Plan,
    layout: ProxyLayout,
    slots: Mapping[str, int | None] | None = None,
    queue_per_slot: int = 1,
) -> ProxyTuning:
    """One period's limits, weights and grants for the functions and members of `layout`.

    Functions the plan does not cover are unlimited; peers that are not layout
    members are left out (HAProxy has no server for them). `slots` are the
    runtime's execution slots per function (None: unknown), each with
    `queue_per_slot` places to wait in.
    """
    known_slots = {
        function.name: count
        for function in layout.functions
        if (count := (slots or {}).get(function.name)) is not None
    }
    members = {member.peer_id for member in layout.members}
    local_limits: dict[str, int | None] = {}
    weights: dict[str, dict[str, int]] = {}
    admitted: dict[str, dict[str, int]] = {}
    for function in layout.functions:
        function_plan = plan.functions.get(function.name)
        if function_plan is None:
            local_limits[function.name] = None
            continue
        local_limits[function.name] = local_limit(function_plan)
        weights[function.name] = {
            peer: weight
            for peer, weight in sorted(function_plan.peer_weights.items())
            if peer in members and weight > 0
        }
        admitted[function.name] = {
            peer: police
            for peer, rate in sorted(function_plan.admitted_rates.items())
            if peer in members and (police := admitted_rate(rate)) is not None
        }
    return ProxyTuning(
        local_limits=local_limits,
        weights=weights,
        admitted_rates=admitted,
        slots=dict(known_slots),
        queue_places={name: count * queue_per_slot for name, count in known_slots.items()},
    )
