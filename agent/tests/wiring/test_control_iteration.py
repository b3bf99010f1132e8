"""One control iteration with fakes at the edges: observation assembly and degraded components."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from dfaas_agent.haproxy import ConfigRejectedError, ReloadError
from dfaas_agent.messages import NodeInfoRecalc, encode
from dfaas_agent.model import ResourceUsage
from dfaas_agent.overlay import Gossip

from .fakes import PEER_B, PEER_C, SELF, Harness, agent_config, function_entry, harness, stat_rows


@pytest.fixture
def node() -> Iterator[Harness]:
    yield from harness()


@pytest.fixture
def node_margin_node() -> Iterator[Harness]:
    yield from harness(agent_config(strategy="node_margin"))


def _grant(node: Harness, sender: str, rate: float, host: str = "10.9.9.9") -> None:
    message = NodeInfoRecalc(
        host=host, port=30080, func_limits={SELF: {"figlet": rate}}, functions=["figlet"]
    )
    node.agent.receive(Gossip(sender=sender, payload=encode(message)))


# --- observation from counter deltas -------------------------------------------------------


def test_offered_rate_is_the_client_request_delta_over_the_elapsed_time(node: Harness) -> None:
    node.proxy.rows_after_reload = stat_rows("figlet", client=100, local=80)
    node.iterate()  # reloads: baseline from the new worker's counters
    node.proxy.rows = stat_rows("figlet", client=150, local=100)

    node.iterate(advance_s=10.0)

    assert node.agent.last is not None
    assert node.agent.last.observation.functions["figlet"].offered_rate == pytest.approx(5.0)


def test_executed_rate_counts_local_and_member_requests_run_here(node: Harness) -> None:
    node.proxy.rows_after_reload = stat_rows("figlet", client=0, local=0, from_peers=0)
    node.iterate()
    node.proxy.rows = stat_rows("figlet", client=30, local=20, from_peers=40)

    node.iterate(advance_s=10.0)

    assert node.agent.last is not None
    assert node.agent.last.observation.functions["figlet"].executed_rate == pytest.approx(6.0)


def test_the_first_reading_after_a_reload_is_the_new_baseline(node: Harness) -> None:
    node.proxy.rows = stat_rows("figlet", client=5000, local=5000)
    node.proxy.rows_after_reload = stat_rows("figlet", client=3, local=3)
    node.iterate()  # the old worker's 5000 must not be compared with the new worker's counts
    node.proxy.rows = stat_rows("figlet", client=23, local=23)

    node.iterate(advance_s=10.0)

    assert node.agent.last is not None
    assert node.agent.last.observation.functions["figlet"].offered_rate == pytest.approx(2.0)


def test_unreadable_counters_keep_the_last_known_rates(node: Harness) -> None:
    node.proxy.rows_after_reload = stat_rows("figlet", client=0, local=0)
    node.iterate()
    node.proxy.rows = stat_rows("figlet", client=40, local=40)
    node.iterate(advance_s=10.0)
    node.proxy.fail_stats = True

    node.iterate(advance_s=10.0)

    assert node.agent.last is not None
    assert node.agent.last.observation.functions["figlet"].offered_rate == pytest.approx(4.0)
    assert any(problem.startswith("haproxy_stats:") for problem in node.agent.health_problems())


# --- degraded components -------------------------------------------------------------------


def test_gateway_down_keeps_the_last_known_functions(node: Harness) -> None:
    node.iterate()
    node.gateway.down = True

    node.iterate(advance_s=10.0)

    assert node.agent.last is not None
    assert list(node.agent.last.observation.functions) == ["figlet"]


def test_gateway_down_is_a_health_problem(node: Harness) -> None:
    node.gateway.down = True

    node.iterate()

    assert any(problem.startswith("gateway:") for problem in node.agent.health_problems())


def test_gateway_back_clears_its_health_problem(node: Harness) -> None:
    node.gateway.down = True
    node.iterate()
    node.gateway.down = False

    node.iterate(advance_s=10.0)

    assert node.agent.health_problems() == []


def test_prometheus_down_leaves_cpu_and_ram_unknown(node: Harness) -> None:
    node.prometheus.down = True

    node.iterate()

    assert node.agent.last is not None
    observation = node.agent.last.observation
    assert (observation.cpu_percent, observation.ram_bytes) == (None, None)


def test_prometheus_down_still_applies_a_plan(node: Harness) -> None:
    node.prometheus.down = True

    node.iterate()

    assert node.proxy.applied[-1][1].local_limit("figlet") == 10


def test_prometheus_down_is_no_health_problem_for_recalc(node: Harness) -> None:
    node.prometheus.down = True

    node.iterate()

    assert node.agent.health_problems() == []


def test_prometheus_down_is_a_health_problem_for_node_margin(node_margin_node: Harness) -> None:
    node_margin_node.prometheus.down = True

    node_margin_node.iterate()

    problems = node_margin_node.agent.health_problems()
    assert any(problem.startswith("prometheus:") for problem in problems)


def test_prometheus_usage_reaches_the_observation(node: Harness) -> None:
    node.iterate()

    assert node.agent.last is not None
    assert node.agent.last.observation.cpu_percent == pytest.approx(40.0)


def test_a_forecast_of_the_offered_load_reaches_node_margins_observation() -> None:
    for node in harness(agent_config(strategy="node_margin"), with_forecaster=True):
        node.proxy.rows_after_reload = stat_rows("figlet", client=0, local=0)
        node.iterate()
        node.proxy.rows = stat_rows("figlet", client=120, local=20)
        node.iterate(advance_s=10.0)

        assert node.agent.last is not None
        observation = node.agent.last.observation
        assert observation.forecast == ResourceUsage(cpu_percent=500.0, ram_bytes=1e9)
        assert observation.cpu_percent == pytest.approx(40.0)  # measured, kept beside it
        # figlet is in no usage group: medium, at the offered 12 req/s.
        assert node.forecaster.loads[-1] == {
            "rate_group_HIGH_USAGE": 0.0,
            "rate_group_MEDIUM_USAGE": pytest.approx(12.0),
            "rate_group_LOW_USAGE": 0.0,
            "node_type": 1,
        }
        assert node.agent.status()["node"]["forecast"]["cpu_percent"] == 500.0


def test_a_forecaster_down_is_a_health_problem_and_measured_usage_decides() -> None:
    for node in harness(agent_config(strategy="node_margin"), with_forecaster=True):
        node.forecaster.down = True
        node.iterate()

        assert node.agent.last is not None
        assert node.agent.last.plan is not None
        assert node.agent.last.observation.forecast is None
        assert any(p.startswith("forecaster:") for p in node.agent.health_problems())


def test_a_strategy_that_reads_no_usage_never_asks_the_forecaster() -> None:
    for node in harness(agent_config(strategy="recalc"), with_forecaster=True):
        node.iterate()

        assert node.forecaster.loads == []
        assert node.agent.health_problems() == []


def test_haproxy_apply_failure_is_a_health_problem(node: Harness) -> None:
    node.proxy.apply_error = ReloadError("fake HAProxy: no new worker after reload")

    node.iterate()

    assert any(problem.startswith("haproxy_apply:") for problem in node.agent.health_problems())


def test_haproxy_apply_failure_does_not_stop_the_next_iteration(node: Harness) -> None:
    node.proxy.apply_error = ReloadError("fake HAProxy: no new worker after reload")
    node.iterate()
    node.proxy.apply_error = None

    node.iterate(advance_s=10.0)

    assert len(node.proxy.applied) == 1


def test_a_multi_line_failure_is_one_health_problem_line(node: Harness) -> None:
    output = "[ALERT] line 3: unknown keyword\n[ALERT] fatal errors"
    node.proxy.apply_error = ConfigRejectedError(Path("haproxy.cfg"), output)

    node.iterate()

    (problem,) = node.agent.health_problems()
    assert "\n" not in problem
    assert problem.startswith("haproxy_apply: ConfigRejectedError")


def test_publish_failure_is_a_health_problem_and_the_plan_is_still_applied(
    node: Harness,
) -> None:
    node.overlay.fail_publish = True

    node.iterate()

    assert any(p.startswith("overlay_publish:") for p in node.agent.health_problems())
    assert len(node.proxy.applied) == 1


def test_healthz_reports_starting_before_the_first_iteration(node: Harness) -> None:
    assert node.agent.health_problems() == ["control loop: starting"]


def test_healthz_reports_a_stalled_control_loop(node: Harness) -> None:
    node.iterate()
    node.clock.now += 31.0  # three 10 s periods without an iteration

    assert any("last iteration finished" in p for p in node.agent.health_problems())


# --- gossip, members and announcements ---------------------------------------------------


def test_a_malformed_gossip_message_is_counted_and_dropped(node: Harness) -> None:
    node.agent.receive(Gossip(sender=PEER_B, payload=b"{not json"))

    assert node.agent.dropped_undecodable == 1
    assert node.agent.peers.snapshot() == {}


def test_every_configured_member_is_a_layout_member_with_its_configured_host(
    node: Harness,
) -> None:
    _grant(node, PEER_B, 4.0, host="10.9.9.9")  # the announced host is not trusted

    node.iterate()

    assert node.agent.last is not None
    hosts = {member.peer_id: member.host for member in node.agent.last.layout.members}
    assert hosts == {PEER_B: "10.0.0.2", PEER_C: "10.0.0.3"}


def test_a_member_that_stops_and_starts_again_causes_no_reload(node: Harness) -> None:
    # Its server stays; HAProxy's health checks and the plan's weights follow it.
    _grant(node, PEER_B, 4.0)
    node.iterate()

    for _ in range(3):  # node-b silent past its validity (12 s at a 10 s period)
        node.iterate(advance_s=10.0)
    assert node.proxy.applied[-1][1].weights["figlet"] == {}
    _grant(node, PEER_B, 4.0)
    node.iterate(advance_s=10.0)

    assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 100}
    first_layout = node.proxy.applied[0][0]
    assert all(layout == first_layout for layout, _ in node.proxy.applied)  # never reloaded


def test_grants_received_by_gossip_become_haproxy_weights(node: Harness) -> None:
    _grant(node, PEER_B, 3.0)
    _grant(node, PEER_C, 1.0)

    node.iterate()

    assert node.proxy.applied[-1][1].weights["figlet"] == {PEER_B: 75, PEER_C: 25}


def test_the_plans_announcement_is_published(node: Harness) -> None:
    _grant(node, PEER_B, 1.0)  # B hosts figlet: it gets our whole spare capacity of 10 req/s

    node.iterate()

    (payload,) = node.overlay.published
    message = json.loads(payload)
    assert (message["MsgType"], message["FuncLimits"][PEER_B]["figlet"]) == ("nodeinfoRecalc", 10.0)


def test_a_removed_function_leaves_the_layout(node: Harness) -> None:
    node.gateway.functions = [function_entry("figlet"), function_entry("shasum")]
    node.iterate()
    node.gateway.functions = [function_entry("shasum")]

    node.iterate(advance_s=10.0)

    assert [f.name for f in node.proxy.applied[-1][0].functions] == ["shasum"]


def test_status_lists_members_function_limits_and_components(node: Harness) -> None:
    node.overlay.connected = frozenset({PEER_B})
    _grant(node, PEER_B, 2.0)
    node.iterate()

    status = node.agent.status()

    assert status["members"]["connected"] == [PEER_B]
    assert status["functions"]["figlet"]["local_limit"] == 10
    assert status["functions"]["figlet"]["weights"] == {PEER_B: 100}
    assert status["components"]["gateway"]["up"] is True


def test_an_invalid_label_is_logged_once_while_it_stays_invalid(
    node: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    entry = function_entry("figlet")
    entry["labels"] = {"dfaas.maxrate": "fast"}
    node.gateway.functions = [entry]

    with caplog.at_level(logging.WARNING, logger="dfaas_agent.agent"):
        node.iterate()
        node.iterate(advance_s=10.0)

    assert [r.message for r in caplog.records if "label ignored" in r.message] == [
        "function figlet: label ignored: dfaas.maxrate: could not convert string to float: 'fast'"
    ]


def test_a_component_that_stays_down_is_warned_about_once(
    node: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    node.gateway.down = True

    with caplog.at_level(logging.WARNING, logger="dfaas_agent.agent"):
        node.iterate()
        node.iterate(advance_s=10.0)
        node.iterate(advance_s=10.0)

    assert len([r for r in caplog.records if r.message.startswith("gateway:")]) == 1


def test_a_function_name_haproxy_cannot_route_is_left_out_and_the_others_served(
    node: Harness,
) -> None:
    node.gateway.functions = [function_entry("figlet"), function_entry("bad name")]

    node.iterate()

    assert [f.name for f in node.proxy.applied[-1][0].functions] == ["figlet"]


def test_each_haproxy_apply_is_timed_by_how_it_was_done(node: Harness) -> None:
    node.iterate()  # the first layout: a reload
    node.iterate()  # the same layout: runtime API commands only

    registry = node.agent.metrics.registry
    counts = {
        how: registry.get_sample_value("dfaas_agent_haproxy_apply_seconds_count", {"how": how})
        for how in ("reloaded", "tuned")
    }
    assert counts == {"reloaded": 1.0, "tuned": 1.0}


def test_an_undecodable_gossip_message_is_counted_in_the_dropped_messages_metric(
    node: Harness,
) -> None:
    node.agent.receive(Gossip(sender=PEER_B, payload=b'{"MsgType": "nodeinfoRecalc"}'))

    counted = node.agent.metrics.registry.get_sample_value(
        "dfaas_agent_dropped_messages_total", {"reason": "undecodable"}
    )
    assert counted == 1.0


def test_overlay_drops_are_added_to_the_dropped_messages_metric_by_reason(
    node: Harness,
) -> None:
    node.overlay.stats.dropped_non_member = 3
    node.iterate()
    node.overlay.stats.dropped_non_member = 5

    node.iterate(advance_s=10.0)

    counted = node.agent.metrics.registry.get_sample_value(
        "dfaas_agent_dropped_messages_total", {"reason": "non_member"}
    )
    assert counted == 5.0


def test_refused_non_member_connections_are_counted_in_the_refused_connections_metric(
    node: Harness,
) -> None:
    node.overlay.stats.refused_non_member_connections = 2
    node.iterate()
    node.overlay.stats.refused_non_member_connections = 7

    node.iterate(advance_s=10.0)

    counted = node.agent.metrics.registry.get_sample_value(
        "dfaas_agent_refused_connections_total", {"reason": "non_member"}
    )
    assert counted == 7.0


def test_refused_connections_and_dropped_messages_of_one_reason_are_counted_apart(
    node: Harness,
) -> None:
    node.overlay.stats.dropped_non_member = 3
    node.overlay.stats.refused_non_member_connections = 1
    node.iterate()
    node.overlay.stats.refused_non_member_connections = 4

    node.iterate(advance_s=10.0)

    registry = node.agent.metrics.registry
    assert (
        registry.get_sample_value("dfaas_agent_dropped_messages_total", {"reason": "non_member"})
        == 3.0
    )
    assert (
        registry.get_sample_value("dfaas_agent_refused_connections_total", {"reason": "non_member"})
        == 4.0
    )


# --- HAProxy's request log follows the applied layout --------------------------------------

FIGLET_HERE = b'<134>1 2026-12-07T05:01:02Z node-a haproxy 7 - [dfaas@32473 r="public run_figlet local 200 0 4 5"]'  # noqa: E501


def _figlet_runs_here(node: Harness) -> float | None:
    labels = {"function": "figlet", "route": "local", "server": "local"}
    return node.agent.metrics.registry.get_sample_value(
        "dfaas_request_duration_seconds_count", {**labels, "origin": "client", "status": "2xx"}
    )


def test_the_request_log_is_read_against_the_layout_last_applied(node: Harness) -> None:
    node.agent.latency.receive(FIGLET_HERE)  # before any layout: figlet is no function yet
    node.iterate()

    node.agent.latency.receive(FIGLET_HERE)

    assert _figlet_runs_here(node) == 1
    dropped = node.agent.metrics.registry.get_sample_value(
        "dfaas_agent_latency_log_dropped_total", {"reason": "unknown_function"}
    )
    assert dropped == 1


def test_a_layout_that_failed_to_apply_is_not_followed(node: Harness) -> None:
    node.proxy.apply_error = ReloadError("fake HAProxy: no new worker after reload")
    node.iterate()

    node.agent.latency.receive(FIGLET_HERE)

    assert _figlet_runs_here(node) is None
