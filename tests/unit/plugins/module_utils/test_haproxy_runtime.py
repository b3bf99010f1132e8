# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.haproxy_runtime import (
    HAProxyRuntime,
    HAProxyRuntimeError,
    name_problem,
    parse_address,
    parse_stat_csv,
    parse_weight,
    state_from_status,
)
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeHAProxyRuntimeSocket,
)

# The first columns of HAProxy 2.6's "show stat" for a backend with one server.
SHOW_STAT_2_6 = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,"
    "wretr,wredis,status,weight,act,bck,\n"
    "be_f,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,10,1,0,\n"
    "be_f,BACKEND,0,0,0,0,10,0,0,0,0,0,,0,0,0,0,UP,10,1,0,\n\n"
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("/run/haproxy/admin.sock", ("unix", "/run/haproxy/admin.sock")),
        ("unix:///run/haproxy/admin.sock", ("unix", "/run/haproxy/admin.sock")),
        ("127.0.0.1:6666", ("tcp", ("127.0.0.1", 6666))),
        ("tcp://node1:6666", ("tcp", ("node1", 6666))),
        ("ipv4@10.0.0.1:6666", ("tcp", ("10.0.0.1", 6666))),
        ("[::1]:6666", ("tcp", ("::1", 6666))),
    ],
)
def test_socket_address_forms_are_understood(address: str, expected: tuple[str, Any]) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["", "admin.sock", "host:", "host:notaport", "host:70000"])
def test_socket_address_that_is_neither_path_nor_host_port_is_rejected(address: str) -> None:
    with pytest.raises(HAProxyRuntimeError, match="runtime socket"):
        parse_address(address)


def test_show_stat_csv_rows_are_keyed_by_header_columns() -> None:
    rows = parse_stat_csv(SHOW_STAT_2_6)

    assert [(r["pxname"], r["svname"], r["status"], r["weight"]) for r in rows] == [
        ("be_f", "s1", "no check", "10"),
        ("be_f", "BACKEND", "UP", "10"),
    ]


def test_show_stat_without_header_is_rejected() -> None:
    with pytest.raises(ValueError, match="header"):
        parse_stat_csv("No such proxy.\n")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("UP", "ready"),
        ("no check", "ready"),
        ("DOWN 1/2", "ready"),
        ("DRAIN", "drain"),
        ("MAINT", "maint"),
        ("MAINT (via be_x/s1)", "maint"),
    ],
)
def test_show_stat_status_maps_to_admin_state(status: str, state: str) -> None:
    assert state_from_status(status) == state


def test_get_weight_answer_gives_current_and_initial() -> None:
    assert parse_weight("10 (initial 20)\n\n") == (10, 20)


def test_get_weight_refusal_is_not_a_weight() -> None:
    with pytest.raises(ValueError, match="No such server"):
        parse_weight("No such server.\n")


def test_server_reads_weight_state_and_status(fake_haproxy: FakeHAProxyRuntimeSocket) -> None:
    fake_haproxy.servers["be_figlet/local"].update(weight=40, state="drain")

    server = HAProxyRuntime(fake_haproxy.path).server("be_figlet", "local")

    assert server == {"weight": 40, "initial_weight": 100, "state": "drain", "status": "DRAIN"}


def test_set_weight_and_state_send_runtime_commands(fake_haproxy: FakeHAProxyRuntimeSocket) -> None:
    runtime = HAProxyRuntime(fake_haproxy.path)

    runtime.set_weight("be_figlet", "local", 7)
    runtime.set_state("be_figlet", "local", "maint")

    assert fake_haproxy.writes() == [
        "set weight be_figlet/local 7",
        "set server be_figlet/local state maint",
    ]


def test_refused_set_command_names_socket_command_and_answer(
    fake_haproxy: FakeHAProxyRuntimeSocket,
) -> None:
    with pytest.raises(HAProxyRuntimeError) as caught:
        HAProxyRuntime(fake_haproxy.path).set_weight("be_figlet", "ghost", 1)

    message = str(caught.value)
    assert fake_haproxy.path in message
    assert "'set weight be_figlet/ghost 1'" in message
    assert "No such server." in message


def test_unknown_server_error_names_backend(fake_haproxy: FakeHAProxyRuntimeSocket) -> None:
    with pytest.raises(HAProxyRuntimeError, match="no server 'ghost' in backend 'be_figlet'"):
        HAProxyRuntime(fake_haproxy.path).server("be_figlet", "ghost")


def test_unknown_backend_error_quotes_haproxy_answer(
    fake_haproxy: FakeHAProxyRuntimeSocket,
) -> None:
    with pytest.raises(HAProxyRuntimeError, match="No such proxy"):
        HAProxyRuntime(fake_haproxy.path).server("be_ghost", "local")


def test_weight_outside_haproxy_range_is_rejected_before_sending(
    fake_haproxy: FakeHAProxyRuntimeSocket,
) -> None:
    with pytest.raises(HAProxyRuntimeError, match=r"outside 0\.\.256"):
        HAProxyRuntime(fake_haproxy.path).set_weight("be_figlet", "local", 300)

    assert fake_haproxy.commands == []


def test_command_with_newline_is_refused(fake_haproxy: FakeHAProxyRuntimeSocket) -> None:
    with pytest.raises(HAProxyRuntimeError, match="multi-command"):
        HAProxyRuntime(fake_haproxy.path).execute("show info\nshutdown sessions")

    assert fake_haproxy.commands == []


def test_missing_unix_socket_error_names_the_socket(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.sock")

    with pytest.raises(HAProxyRuntimeError, match="No such file") as caught:
        HAProxyRuntime(missing).show_stat()

    assert missing in str(caught.value)


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan")])
def test_a_timeout_not_above_0_is_refused_naming_the_socket(timeout: float) -> None:
    with pytest.raises(HAProxyRuntimeError, match="admin.sock: timeout must be above 0 seconds"):
        HAProxyRuntime("/run/haproxy/admin.sock", timeout=timeout)


@pytest.mark.parametrize("name", ["be figlet", "a/b", "x;show info", ""])
def test_names_that_would_change_the_command_are_not_haproxy_names(name: str) -> None:
    assert name_problem("backend", name) is not None


@pytest.mark.parametrize("name", ["be_figlet", "run_my_5ffn", "node_12D3KooW", "fn_a.b:c-d"])
def test_names_the_agent_renders_are_haproxy_names(name: str) -> None:
    assert name_problem("server", name) is None
