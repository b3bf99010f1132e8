"""Plan -> ProxyTuning and (members, functions) -> ProxyLayout."""

from __future__ import annotations

import pytest

from dfaas_agent.config import AgentConfig, Member
from dfaas_agent.function_runtime import DeployedFunction
from dfaas_agent.haproxy import ProxyLayout
from dfaas_agent.loop.conversions import layout_members, proxy_layout, proxy_tuning
from dfaas_agent.model import FunctionPlan, Plan

SELF = "12D3KooWFz1QDbvKpEdaoZ3T8hBKj6SSaBiLmnSYcNpR1pfVsqBP"
PEER_B = "12D3KooWKR8YexZAzN98fYLqcHLDWcLf5JQTQrep2ZMQBr4GAF3n"
PEER_C = "12D3KooWM5ZPpRqfywEBWSCjwMwcKrEf313BwvgNnVxNZxbikuTt"
STRANGER = "12D3KooWSqn4z8UU5qCtCgdFJdZvYFwbDHZnMY2t6hSM4SJPHrLk"

MEMBERS = (
    Member(name="node-a", peer_id=SELF, address="10.0.0.1"),
    Member(name="node-b", peer_id=PEER_B, address="10.0.0.2"),
    Member(name="node-c", peer_id=PEER_C, address="10.0.0.3"),
)


def _config(**overrides: object) -> AgentConfig:
    document: dict[str, object] = {
        "node_name": "node-a",
        "node_ip": "10.0.0.1",
        "members": [member.model_dump() for member in MEMBERS],
        "gateway_url": "http://127.0.0.1:31112",
        "haproxy": {
            "peer_port": 30443,
            "peer_ca_file": "/etc/dfaas/ca.pem",
            "peer_certificate_file": "/etc/dfaas/node.pem",
        },
    }
    document.update(overrides)
    return AgentConfig.model_validate(document)


def _function(name: str, maxrate: float | None = 10.0) -> DeployedFunction:
    return DeployedFunction(
        name=name, maxrate=maxrate, timeout_ms=None, replicas=1, invocation_count=0
    )


def _layout(
    functions: tuple[str, ...] = ("figlet",), peers: frozenset[str] = frozenset({PEER_B, PEER_C})
) -> ProxyLayout:
    """A layout with servers for the configured members in `peers`."""
    config = _config()
    members = layout_members(
        [member for member in config.members if member.peer_id in peers],
        own_peer_id=SELF,
        peer_port=30443,
    )
    return proxy_layout(
        config, node_id=SELF, members=members, functions=[_function(f) for f in functions]
    )


def _plan(**function_plan: object) -> Plan:
    values: dict[str, object] = {
        "local_limit": None,
        "local_weight": 100,
        "peer_weights": {},
        "admitted_rates": {},
        "local_rate": 0.0,
        "forward_rates": {},
    }
    values.update(function_plan)
    return Plan(strategy="recalc", functions={"figlet": FunctionPlan(**values)})  # type: ignore[arg-type]


# --- members -> layout -------------------------------------------------------------------


def test_layout_members_are_every_configured_member_alive_or_not() -> None:
    members = layout_members(MEMBERS, own_peer_id=SELF, peer_port=30443)

    assert [member.peer_id for member in members] == sorted([PEER_B, PEER_C])


def test_the_node_itself_is_never_its_own_layout_member() -> None:
    members = layout_members(MEMBERS, own_peer_id=SELF, peer_port=30443)  # MEMBERS has SELF

    assert SELF not in {member.peer_id for member in members}


def test_layout_members_take_host_and_name_from_config_and_the_federation_peer_port() -> None:
    member = layout_members(MEMBERS, own_peer_id=SELF, peer_port=31443)[0]

    assert (member.name, member.host, member.peer_port) == ("node-b", "10.0.0.2", 31443)


def test_layout_takes_gateway_ports_and_functions_from_config_and_gateway() -> None:
    layout = proxy_layout(
        _config(
            gateway_url="http://10.1.1.1:8080",
            haproxy={"public_port": 31080, "peer_ca_file": "/ca", "peer_certificate_file": "/crt"},
        ),
        node_id=SELF,
        members=(),
        functions=[_function("shasum"), _function("figlet", maxrate=None)],
    )

    assert (layout.gateway_host, layout.gateway_port, layout.public_port) == (
        "10.1.1.1",
        8080,
        31080,
    )
    assert [function.name for function in layout.functions] == ["figlet", "shasum"]
    assert layout.node_name == "node-a"


def test_layout_without_federation_tls_has_no_members() -> None:
    config = _config(haproxy={})
    members = layout_members(config.members, own_peer_id=SELF, peer_port=30443)

    layout = proxy_layout(config, node_id=SELF, members=members, functions=[])

    assert (layout.members, layout.tls) == ((), None)


# --- plan -> tuning ------------------------------------------------------------------------


def test_recalc_local_limit_is_rounded_down_to_whole_requests() -> None:
    tuning = proxy_tuning(_plan(local_limit=7.9, local_weight=0), _layout())

    assert tuning.local_limit("figlet") == 7


def test_a_limit_that_float_arithmetic_left_just_below_a_whole_number_keeps_that_number() -> None:
    tuning = proxy_tuning(_plan(local_limit=9.9999999999, local_weight=0), _layout())

    assert tuning.local_limit("figlet") == 10


def test_peer_weights_become_member_weights() -> None:
    tuning = proxy_tuning(
        _plan(local_limit=5.0, local_weight=0, peer_weights={PEER_B: 70, PEER_C: 30}), _layout()
    )

    assert tuning.weights["figlet"] == {PEER_B: 70, PEER_C: 30}


def test_weights_of_peers_that_are_not_layout_members_are_dropped() -> None:
    tuning = proxy_tuning(
        _plan(local_limit=5.0, local_weight=0, peer_weights={PEER_B: 60, STRANGER: 40}),
        _layout(peers=frozenset({PEER_B})),
    )

    assert tuning.weights["figlet"] == {PEER_B: 60}


def test_a_positive_grant_is_rounded_up_so_the_member_gets_at_least_its_grant() -> None:
    tuning = proxy_tuning(_plan(local_limit=5.0, admitted_rates={PEER_B: 2.5}), _layout())

    assert tuning.admitted_rate("figlet", PEER_B) == 3


def test_a_zero_grant_leaves_the_member_unpoliced_rather_than_denied() -> None:
    tuning = proxy_tuning(_plan(local_limit=5.0, admitted_rates={PEER_B: 0.0}), _layout())

    assert tuning.admitted_rate("figlet", PEER_B) is None


def test_a_function_the_plan_does_not_cover_is_unlimited() -> None:
    tuning = proxy_tuning(_plan(local_limit=5.0), _layout(functions=("figlet", "shasum")))

    assert (tuning.local_limit("shasum"), tuning.weights.get("shasum")) == (None, None)


def test_a_plan_without_peer_weights_runs_everything_locally() -> None:
    tuning = proxy_tuning(_plan(local_limit=None, local_weight=100, local_rate=40.0), _layout())

    assert tuning.local_limit("figlet") is None


def test_a_weighted_split_runs_its_planned_local_rate_here_and_spreads_the_rest() -> None:
    plan = _plan(local_limit=None, local_weight=60, peer_weights={PEER_B: 40}, local_rate=12.0)

    tuning = proxy_tuning(plan, _layout())

    assert (tuning.local_limit("figlet"), tuning.weight("figlet", PEER_B)) == (12, 40)


def test_a_weighted_split_with_no_local_weight_runs_nothing_here() -> None:
    plan = _plan(local_limit=None, local_weight=0, peer_weights={PEER_B: 100}, local_rate=0.0)

    assert proxy_tuning(plan, _layout()).local_limit("figlet") == 0


def test_a_weighted_split_before_any_traffic_runs_everything_here() -> None:
    plan = _plan(local_limit=None, local_weight=50, peer_weights={PEER_B: 50}, local_rate=0.0)

    assert proxy_tuning(plan, _layout()).local_limit("figlet") is None


@pytest.mark.parametrize("functions", [("figlet",), ("figlet", "shasum")])
def test_tuning_is_accepted_by_the_layout_it_was_made_for(functions: tuple[str, ...]) -> None:
    layout = _layout(functions=functions)
    plan = _plan(
        local_limit=3.0,
        local_weight=0,
        peer_weights={PEER_B: 100, STRANGER: 0},
        admitted_rates={PEER_C: 1.5, STRANGER: 4.0},
    )

    proxy_tuning(plan, layout).check_against(layout)  # raises LayoutError when it is not


# --- slots, queue and the peer port ---------------------------------------------------------


def test_known_slots_become_the_tuning_with_their_queue_places() -> None:
    tuning = proxy_tuning(_plan(), _layout(("figlet", "shasum")), {"figlet": 3, "shasum": None}, 2)
    assert (tuning.slots, tuning.queue_places) == ({"figlet": 3}, {"figlet": 6})
    assert (tuning.room("figlet"), tuning.room("shasum")) == (9, None)


def test_the_peer_port_admits_every_configured_member_even_without_their_servers() -> None:
    layout = _layout(peers=frozenset())
    assert layout.members == ()
    assert layout.peer_port_members == tuple(sorted((PEER_B, PEER_C)))
