# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node-wide ports and folders have one owner on the Ansible side: role node_defaults.

The roles that need one of them list node_defaults in their meta/main.yml dependencies
and default their own variable to its `dfaas_node_*` one; the playbooks' plays that run
no such role import node_defaults. No other role or playbook repeats the values. A real
ansible-playbook shows that the role variables follow the node-wide ones, also when the
inventory moves them.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    COLLECTION_ROOT,
    run_playbook,
)

ROLES = COLLECTION_ROOT / "roles"
PLAYBOOKS = sorted((COLLECTION_ROOT / "playbooks").glob("*.yml"))
NODE_DEFAULTS = yaml.safe_load((ROLES / "node_defaults" / "defaults" / "main.yml").read_text())
NODE_WIDE = re.compile(r"\bdfaas_node_(?!address\b)\w+")
"""A node-wide variable (dfaas_node_address is the inventory's, not node_defaults')."""
DESCRIPTIONS = {"description", "short_description"}


def role_variables(node):
    """What every role variable that follows a node-wide one must be, for ``node``'s values."""
    return {
        "dfaas_agent_listen": ["/ip4/0.0.0.0/tcp/%s" % node["dfaas_node_overlay_port"]],
        "dfaas_agent_http_port": node["dfaas_node_agent_http_port"],
        "dfaas_agent_haproxy_public_port": node["dfaas_node_public_port"],
        "dfaas_agent_haproxy_exporter_port": node["dfaas_node_haproxy_exporter_port"],
        "dfaas_agent_haproxy_latency_log_port": node["dfaas_node_haproxy_latency_log_port"],
        "dfaas_agent_haproxy_peer_port": node["dfaas_node_peer_port"],
        "dfaas_agent_haproxy_maxconn": node["dfaas_node_haproxy_maxconn"],
        "dfaas_haproxy_maxconn": node["dfaas_node_haproxy_maxconn"],
        "dfaas_agent_state_dir": node["dfaas_node_agent_state_dir"],
        "dfaas_haproxy_public_port": node["dfaas_node_public_port"],
        "dfaas_haproxy_exporter_port": node["dfaas_node_haproxy_exporter_port"],
        "dfaas_prereq_firewall_allowed_tcp_ports": [22, node["dfaas_node_public_port"]],
        "dfaas_prereq_firewall_member_tcp_ports": [
            node["dfaas_node_peer_port"],
            node["dfaas_node_overlay_port"],
        ],
        "dfaas_prometheus_scrape_jobs": [
            {"name": "node", "port": 9100},
            {"name": "haproxy", "port": node["dfaas_node_haproxy_exporter_port"]},
            {"name": "gateway", "port": 31112},
            {"name": "dfaas_agent", "port": node["dfaas_node_agent_http_port"]},
        ],
        "dfaas_federation_dir": node["dfaas_node_federation_dir"],
    }


def leaves(data, key=None):
    """Every scalar in ``data`` with the key it sits under, descriptions left out."""
    if isinstance(data, dict):
        for name, value in data.items():
            if name not in DESCRIPTIONS:
                yield from leaves(value, name)
    elif isinstance(data, list):
        for value in data:
            yield from leaves(value, key)
    else:
        yield key, data


def holds(leaf, value):
    if isinstance(value, int):
        return leaf == value or (
            isinstance(leaf, str) and re.search(r"(?<!\d)%d(?!\d)" % value, leaf) is not None
        )
    return isinstance(leaf, str) and value in leaf


def files_that_could_repeat_a_value():
    for role in sorted(path for path in ROLES.iterdir() if path.is_dir()):
        if role.name != "node_defaults":
            for relative in ("defaults/main.yml", "vars/main.yml", "meta/argument_specs.yml"):
                if (role / relative).is_file():
                    yield role / relative
    yield from PLAYBOOKS


@pytest.mark.parametrize("name", sorted(NODE_DEFAULTS))
def test_no_role_or_playbook_repeats_a_node_wide_value(name):
    value = NODE_DEFAULTS[name]
    repeats = [
        "%s: %s: %r" % (path.relative_to(COLLECTION_ROOT), key, leaf)
        for path in files_that_could_repeat_a_value()
        for key, leaf in leaves(yaml.safe_load(path.read_text()))
        if holds(leaf, value)
    ]
    assert repeats == [], "%s's value %r outside node_defaults" % (name, value)


def _refers_to_a_node_wide_variable(role):
    texts = [
        (ROLES / role / relative).read_text()
        for relative in ("defaults/main.yml", "vars/main.yml")
        if (ROLES / role / relative).is_file()
    ]
    return any(NODE_WIDE.search(text) for text in texts)


def _dependencies(role):
    meta = yaml.safe_load((ROLES / role / "meta" / "main.yml").read_text())
    return [
        dependency["role"] if isinstance(dependency, dict) else dependency
        for dependency in meta.get("dependencies") or []
    ]


def test_every_role_that_refers_to_a_node_wide_variable_depends_on_node_defaults():
    roles = sorted(
        path.name for path in ROLES.iterdir() if path.is_dir() and path.name != "node_defaults"
    )
    referring = [role for role in roles if _refers_to_a_node_wide_variable(role)]
    assert {"agent", "haproxy", "prereq", "prometheus", "federation"} <= set(referring)
    missing = [role for role in referring if "dfaas.edge.node_defaults" not in _dependencies(role)]
    assert missing == []


def test_node_defaults_is_plain_data():
    assert all(not isinstance(value, str) or "{{" not in value for value in NODE_DEFAULTS.values())
    assert not (ROLES / "node_defaults" / "tasks").exists()


MOVED = {
    "dfaas_node_public_port": 40080,
    "dfaas_node_peer_port": 40443,
    "dfaas_node_overlay_port": 41600,
    "dfaas_node_agent_http_port": 9080,
    "dfaas_node_haproxy_exporter_port": 9405,
    "dfaas_node_haproxy_latency_log_port": 9406,
    "dfaas_node_haproxy_maxconn": 20000,
    "dfaas_node_agent_state_dir": "/srv/dfaas/agent",
    "dfaas_node_federation_dir": "/srv/dfaas/federation",
}


@pytest.mark.parametrize(
    "inventory_vars", [{}, MOVED], ids=["node_defaults", "moved_in_the_inventory"]
)
def test_role_variables_follow_the_node_wide_ones(collections_path, tmp_path, inventory_vars):
    assert sorted(MOVED) == sorted(NODE_DEFAULTS)
    expected = role_variables(dict(NODE_DEFAULTS, **inventory_vars))
    play = {
        "name": "Role defaults, as the roles see them",
        "hosts": "dfaas_nodes",
        "gather_facts": False,
        "tasks": [
            # Imported roles expose their defaults to the play;
            # `when: false` runs none of their tasks.
            *(
                {"ansible.builtin.import_role": {"name": "dfaas.edge.%s" % role}, "when": False}
                for role in ("agent", "haproxy", "prereq", "prometheus", "federation")
            ),
            {
                "name": "Show",
                "ansible.builtin.debug": {"msg": {name: "{{ %s }}" % name for name in expected}},
            },
        ],
    }
    inventory = {
        "dfaas_nodes": {
            "hosts": {"node-0": {"ansible_connection": "local"}},
            "vars": inventory_vars,
        }
    }
    result = run_playbook(
        collections_path, tmp_path, [play], inventory=yaml.safe_dump(inventory), json_report=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    shown = next(task for task in tasks if task["task"]["name"] == "Show")
    assert shown["hosts"]["node-0"]["msg"] == expected
