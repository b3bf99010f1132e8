# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad role variables stop the play before anything is touched, naming the variable.

Each test runs a real ansible-playbook against localhost in check mode; the
role's argument spec validation and preflight asserts fail before any task
that could change the machine.
"""

from __future__ import annotations

import pytest

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import localhost_play, run_playbook


def run_role(collections_path, tmp_path, role, variables, tasks_from="main"):
    """Apply one role of the collection to localhost in check mode."""
    task = {
        "name": "Run the role",
        "ansible.builtin.include_role": {"name": "dfaas.edge.%s" % role, "tasks_from": tasks_from},
    }
    play = localhost_play("Apply %s" % role, tasks=[task])
    return run_playbook(collections_path, tmp_path, [play], extra_vars=variables, check=True)


def assert_stopped_naming(result, variable, words):
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the play did not stop:\n%s" % output
    assert variable in output and words in output, output


@pytest.mark.parametrize("role", ["prereq", "haproxy", "prometheus"])
def test_default_variables_pass_preflight(collections_path, tmp_path, role):
    result = run_role(collections_path, tmp_path, role, {}, tasks_from="preflight")
    assert result.returncode == 0, result.stdout + result.stderr


def test_port_out_of_range_stops_the_haproxy_role(collections_path, tmp_path):
    result = run_role(collections_path, tmp_path, "haproxy", {"dfaas_haproxy_public_port": 70000})
    assert_stopped_naming(result, "dfaas_haproxy_public_port", "between 1 and 65535, got 70000")


def test_scrape_job_without_port_stops_the_prometheus_role(collections_path, tmp_path):
    jobs = [{"name": "node", "port": 9100}, {"name": "gateway"}]
    result = run_role(
        collections_path, tmp_path, "prometheus", {"dfaas_prometheus_scrape_jobs": jobs}
    )
    assert_stopped_naming(result, "dfaas_prometheus_scrape_jobs[1]", "needs a unique `name`")


def test_unknown_retention_size_stops_the_prometheus_role(collections_path, tmp_path):
    variables = {"dfaas_prometheus_retention_size": "lots"}
    result = run_role(collections_path, tmp_path, "prometheus", variables)
    assert_stopped_naming(result, "dfaas_prometheus_retention_size", "got 'lots'")


def test_non_boolean_switch_stops_the_prereq_role(collections_path, tmp_path):
    result = run_role(
        collections_path, tmp_path, "prereq", {"dfaas_prereq_sysctl_apply": "perhaps"}
    )
    assert_stopped_naming(result, "dfaas_prereq_sysctl_apply", "bool")


def test_missing_package_list_stops_the_system_packages_role(collections_path, tmp_path):
    result = run_role(collections_path, tmp_path, "system_packages", {})
    assert_stopped_naming(result, "dfaas_system_packages_names", "missing required")


def test_quoted_unfederated_message_stops_the_haproxy_role(collections_path, tmp_path):
    variables = {"dfaas_haproxy_unfederated_message": 'say "hello"'}
    result = run_role(collections_path, tmp_path, "haproxy", variables)
    assert_stopped_naming(result, "dfaas_haproxy_unfederated_message", "without double quotes")


def test_open_files_limit_below_twice_maxconn_stops_the_haproxy_role(collections_path, tmp_path):
    variables = {"dfaas_haproxy_limit_nofile": 20000, "dfaas_haproxy_maxconn": 40000}
    result = run_role(collections_path, tmp_path, "haproxy", variables)
    assert_stopped_naming(result, "dfaas_haproxy_limit_nofile", "2 * dfaas_haproxy_maxconn + 100")


def test_open_files_limit_below_the_agents_maxconn_stops_the_haproxy_role(
    collections_path, tmp_path
):
    # The base configuration's maxconn fits, the one the agent renders (node-wide) does not.
    variables = {"dfaas_haproxy_limit_nofile": 20000, "dfaas_haproxy_maxconn": 8000}
    result = run_role(collections_path, tmp_path, "haproxy", variables, tasks_from="preflight")
    assert_stopped_naming(
        result, "dfaas_haproxy_limit_nofile", "2 * dfaas_node_haproxy_maxconn + 100 (80100)"
    )


def test_user_with_a_colon_stops_the_gateway_role(collections_path, tmp_path):
    variables = {"dfaas_gateway_basic_auth_user": "ad:min"}
    result = run_role(collections_path, tmp_path, "gateway", variables, tasks_from="preflight")
    assert_stopped_naming(result, "dfaas_gateway_basic_auth_user", "without ':'")


def test_functions_role_stops_when_the_gateway_password_is_nowhere(collections_path, tmp_path):
    missing = tmp_path / "no-such-password"
    variables = {"dfaas_functions_gateway_password_file": str(missing)}
    result = run_role(collections_path, tmp_path, "functions", variables, tasks_from="configure")
    assert_stopped_naming(result, str(missing), "cannot be read")
    assert "dfaas_functions_gateway_username to ''" in result.stdout


def test_member_name_instead_of_address_stops_the_firewall(collections_path, tmp_path):
    variables = {"dfaas_prereq_firewall_member_addresses": ["10.0.0.5", "node-b.example"]}
    result = run_role(collections_path, tmp_path, "prereq", variables, tasks_from="firewall")
    assert_stopped_naming(result, "dfaas_prereq_firewall_member_addresses", "got 'node-b.example'")


# One agent variable out of its range each: the agent role stops before changing anything,
# naming the variable and the range.
_AGENT_OUT_OF_RANGE = [
    ("dfaas_agent_cpu_weight", 0, "from 1 to 10000, got '0'"),
    *(
        (
            "dfaas_agent_haproxy_latency_log_port",
            port,
            "from 0 (off) to 65535 (UDP), got '%s'" % port,
        )
        for port in (-1, 65536, "syslog")
    ),
    *(
        ("dfaas_agent_haproxy_maxconn", maxconn, "from 100 to 1000000, got '%s'" % maxconn)
        for maxconn in (99, 1000001, "many")
    ),
    *(
        (
            "dfaas_agent_haproxy_public_connections_per_source",
            connections,
            "from 0 (no limit) to 1000000, got '%s'" % connections,
        )
        for connections in (-1, "all")
    ),
    *(
        (
            "dfaas_agent_announce_heartbeat_periods",
            heartbeat,
            "from 1 to 60 (periods), got '%s'" % heartbeat,
        )
        for heartbeat in (0, 61, "often")
    ),
    *(
        (
            "dfaas_agent_reload_throttle",
            throttle,
            "a whole number of nodes, 0 for all at once, got '%s'" % throttle,
        )
        for throttle in (-1, "one", 1.5)
    ),
]


@pytest.mark.parametrize(("variable", "value", "message"), _AGENT_OUT_OF_RANGE)
def test_agent_variable_out_of_range_stops_the_agent_role(
    collections_path, tmp_path, variable, value, message
):
    result = run_role(
        collections_path, tmp_path, "agent", {variable: value}, tasks_from="preflight"
    )
    assert_stopped_naming(result, variable, message)
