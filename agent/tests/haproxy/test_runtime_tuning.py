"""Per-period tuning goes through the runtime API: no reload, counters survive."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import httpx
import pytest

from dfaas_agent.haproxy.controller import Applied, HAProxyController
from dfaas_agent.haproxy.layout import FunctionSpec, ProxyTuning
from dfaas_agent.haproxy.runtime_api import (
    RuntimeApi,
    RuntimeApiError,
    set_map_command,
    set_maxconn_command,
    set_weight_command,
)
from dfaas_agent.haproxy.stats import rates_between

from .conftest import HAProxyNode, run, wait_counted

pytestmark = pytest.mark.component


@pytest.fixture
def node(node_a_with_member_b: HAProxyNode) -> HAProxyNode:
    return node_a_with_member_b


PERIOD_TUNING = ProxyTuning(
    local_limits={"figlet": 25},
    weights={"figlet": {"QmNodeB": 70}},
    admitted_rates={"figlet": {"QmNodeB": 12}},
)


def send(node: HAProxyNode, http: httpx.Client, count: int) -> None:
    """`count` requests, answered and counted by HAProxy."""
    runtime = node.controller.runtime
    before = run(runtime.request_counters).backends.get("run_figlet", 0)
    for _ in range(count):
        assert http.post(node.url("/function/figlet"), content=b"hi").status_code == 200
    wait_counted(runtime, "run_figlet", before + count)


def test_tuning_is_applied_without_a_reload(node: HAProxyNode) -> None:
    result = run(node.controller.apply, node.layout, PERIOD_TUNING)
    assert result.applied is Applied.TUNED


def test_tuned_weight_shows_in_show_stat(node: HAProxyNode) -> None:
    run(node.controller.apply, node.layout, PERIOD_TUNING)
    rows = run(node.controller.runtime.show_stat)
    weight = next(r.weight for r in rows if (r.proxy, r.service) == ("fn_figlet", "member_node-b"))
    assert weight == 70


def test_tuned_limits_show_in_show_map(node: HAProxyNode) -> None:
    run(node.controller.apply, node.layout, PERIOD_TUNING)
    runtime = node.controller.runtime
    local = run(runtime.show_map, node.files.local_limits_map)
    admitted = run(runtime.show_map, node.files.admitted_rates_map)
    assert (local, admitted) == ({"figlet": "25"}, {"figlet@QmNodeB": "12"})


def test_tuning_keeps_the_worker_and_its_counters(node: HAProxyNode, http: httpx.Client) -> None:
    runtime = node.controller.runtime
    send(node, http, 3)
    info_before = run(runtime.show_info)
    counters_before = run(runtime.request_counters)
    run(node.controller.apply, node.layout, PERIOD_TUNING)
    info_after = run(runtime.show_info)
    counters_after = run(runtime.request_counters)
    assert info_after.pid == info_before.pid
    assert info_after.uptime_s >= info_before.uptime_s
    assert counters_after.backends["run_figlet"] == counters_before.backends["run_figlet"] == 3
    assert counters_after.tables[("client_requests", "figlet")] == 3


def test_tuning_is_written_to_the_map_files_for_the_next_start(node: HAProxyNode) -> None:
    run(node.controller.apply, node.layout, PERIOD_TUNING)
    assert node.files.local_limits_map.read_text() == "figlet 25\n"


def test_counters_give_the_request_rate_over_a_period(
    node: HAProxyNode, http: httpx.Client
) -> None:
    runtime = node.controller.runtime
    start = run(runtime.request_counters)
    send(node, http, 4)
    end = run(runtime.request_counters)
    rates = rates_between(start, end)
    assert rates.tables[("client_requests", "figlet")] * rates.period_s == pytest.approx(4)
    assert rates.backends["run_figlet"] * rates.period_s == pytest.approx(4)
    assert rates.servers[("run_figlet", "local")] * rates.period_s == pytest.approx(4)


def test_weight_for_an_unknown_server_is_refused_with_haproxys_answer(node: HAProxyNode) -> None:
    with pytest.raises(RuntimeApiError, match="No such server"):
        run(node.controller.runtime.set_weight, "fn_figlet", "member_nobody", 10)


def test_setters_go_in_one_connection_and_each_takes_effect(node: HAProxyNode) -> None:
    runtime = node.controller.runtime
    room_map = node.controller.files.room_map
    commands = [
        set_weight_command("fn_figlet", "member_node-b", 33),
        set_maxconn_command("run_figlet", "local", 4),
        set_map_command(room_map, "figlet", "7"),
    ]

    assert run(runtime.set_all, commands) == 1

    rows = {(r.proxy, r.service): r for r in run(runtime.show_stat)}
    assert rows[("fn_figlet", "member_node-b")].weight == 33
    assert run(runtime.show_map, room_map)["figlet"] == "7"


def test_a_refused_setter_in_a_batch_is_named_and_the_others_still_apply(
    node: HAProxyNode,
) -> None:
    runtime = node.controller.runtime
    commands = [
        set_weight_command("fn_figlet", "member_nobody", 10),
        set_weight_command("fn_figlet", "member_node-b", 44),
    ]

    with pytest.raises(RuntimeApiError, match=r"member_nobody.*No such server"):
        run(runtime.set_all, commands)

    rows = {(r.proxy, r.service): r for r in run(runtime.show_stat)}
    assert rows[("fn_figlet", "member_node-b")].weight == 44


def test_unreachable_socket_error_names_the_socket(tmp_path: Path) -> None:
    missing = tmp_path / "absent.sock"
    with pytest.raises(RuntimeApiError, match=re.escape(str(missing))):
        run(RuntimeApi(missing, timeout_s=1.0).show_info)


def test_a_new_controller_adopts_a_haproxy_already_running_its_configuration(
    node: HAProxyNode, http: httpx.Client
) -> None:
    # A restarted agent: a fresh controller, the same layout and tuning as the running
    # configuration. No reload: the worker and its counters stay.
    run(node.controller.apply, node.layout, PERIOD_TUNING)
    send(node, http, 2)
    pid_before = run(node.controller.runtime.show_info).pid
    restarted = HAProxyController(node.files)

    result = run(restarted.apply, node.layout, PERIOD_TUNING)

    assert result.applied is Applied.TUNED
    assert run(restarted.runtime.show_info).pid == pid_before
    counters = run(restarted.runtime.request_counters)
    assert counters.tables[("client_requests", "figlet")] == 2


def test_a_new_controller_reloads_a_haproxy_running_another_structure(
    node: HAProxyNode,
) -> None:
    restarted = HAProxyController(node.files)
    with_shasum = dataclasses.replace(
        node.layout, functions=(*node.layout.functions, FunctionSpec("shasum"))
    )

    assert run(restarted.apply, with_shasum, ProxyTuning()).applied is Applied.RELOADED
