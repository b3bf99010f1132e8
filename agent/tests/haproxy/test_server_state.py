"""Which lines of `show servers state` are carried to the new worker (pure)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dfaas_agent.haproxy.layout import FunctionSpec, Member, PeerTls, ProxyLayout, ProxyTuning
from dfaas_agent.haproxy.render import ProxyFiles, render_config
from dfaas_agent.haproxy.server_state import EMPTY_STATE, carried_state

HEADER = (
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight"
    " srv_iweight srv_time_since_last_change srv_check_status srv_check_result"
    " srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id"
    " srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr"
    " srv_agent_addr srv_agent_port"
)
GATEWAY = "7 gateway 1 local 127.0.0.1 2 0 1 1 30 15 3 4 6 0 0 0 - 8080 - 0 0 - - 0"
MEMBER_B = "8 members 1 member_node-b 10.0.0.2 0 0 1 1 12 8 2 0 6 0 0 0 - 30443 - 1 0 - - 0"
MEMBER_C = "8 members 2 member_node-c 10.0.0.3 2 0 1 1 40 15 3 4 6 0 0 0 - 30443 - 1 0 - - 0"
TRACKING = "9 fn_figlet 2 member_node-b 10.0.0.2 0 0 70 0 12 8 2 0 6 0 0 0 - 30443 - 1 0 - - 0"
DUMP = "\n".join(("1", HEADER, GATEWAY, MEMBER_B, MEMBER_C, TRACKING, ""))

LAYOUT = ProxyLayout(
    node_id="QmNodeA",
    node_name="node-a",
    gateway_host="127.0.0.1",
    gateway_port=8080,
    members=(Member("QmNodeB", "node-b", "10.0.0.2"), Member("QmNodeC", "node-c", "10.0.0.3")),
    functions=(FunctionSpec("figlet"),),
    tls=PeerTls(Path("/pki/ca.pem"), Path("/pki/node.pem")),
)


def kept(dump: str, layout: ProxyLayout) -> list[str]:
    return carried_state(dump, layout).splitlines()


def test_checked_servers_of_an_unchanged_layout_are_carried() -> None:
    assert kept(DUMP, LAYOUT) == ["1", HEADER, GATEWAY, MEMBER_B, MEMBER_C]


def test_function_backends_are_never_carried_so_rendered_weights_win() -> None:
    assert TRACKING not in kept(DUMP, LAYOUT)


def test_a_member_at_another_port_or_host_starts_fresh() -> None:
    member_b, member_c = LAYOUT.members
    moved = replace(
        LAYOUT, members=(replace(member_b, peer_port=30444), replace(member_c, host="10.0.0.9"))
    )
    assert kept(DUMP, moved) == ["1", HEADER, GATEWAY]


def test_a_member_that_left_is_not_carried() -> None:
    assert kept(DUMP, replace(LAYOUT, members=LAYOUT.members[1:])) == [
        "1",
        HEADER,
        GATEWAY,
        MEMBER_C,
    ]


def test_a_moved_gateway_starts_fresh() -> None:
    assert GATEWAY not in kept(DUMP, replace(LAYOUT, gateway_port=8081))


def test_a_line_with_another_tls_switch_is_dropped() -> None:
    # HAProxy would apply the line's switch: a member without TLS cannot be reached.
    plain_b = MEMBER_B.replace(" - 1 0 - - 0", " - 0 0 - - 0")
    assert kept("\n".join(("1", HEADER, plain_b)), LAYOUT) == ["1", HEADER]


def test_a_host_name_matches_the_fqdn_column() -> None:
    by_name = GATEWAY.replace(" - 8080 ", " gateway.local 8080 ")
    dump = "\n".join(("1", HEADER, by_name))
    assert kept(dump, replace(LAYOUT, gateway_host="gateway.local", members=())) == [
        "1",
        HEADER,
        by_name,
    ]


def test_an_unknown_format_carries_nothing() -> None:
    assert carried_state(DUMP.replace("1\n", "2\n", 1), LAYOUT) == EMPTY_STATE
    assert carried_state("", LAYOUT) == EMPTY_STATE
    assert carried_state("1\n" + GATEWAY, LAYOUT) == EMPTY_STATE
    assert carried_state("1\n# be_id be_name\n" + GATEWAY, LAYOUT) == EMPTY_STATE


def test_a_line_with_missing_fields_is_dropped() -> None:
    truncated = GATEWAY.rsplit(" ", 3)[0]
    assert kept("\n".join(("1", HEADER, truncated)), LAYOUT) == ["1", HEADER]


def test_only_the_checked_backends_load_the_state_file() -> None:
    files = ProxyFiles(
        config_file=Path("/etc/haproxy/haproxy.cfg"),
        state_dir=Path("/var/lib/dfaas"),
        stats_socket=Path("/run/haproxy/admin.sock"),
        master_socket=Path("/run/haproxy/master.sock"),
    )
    config = render_config(LAYOUT, ProxyTuning(), files)
    sections = {part.split("\n", 1)[0]: part for part in config.split("\nbackend ")[1:]}
    loading = sorted(name for name, text in sections.items() if "load-server-state-from" in text)
    assert loading == ["gateway", "members"]
    assert "    server-state-file /var/lib/dfaas/server-state\n" in config
