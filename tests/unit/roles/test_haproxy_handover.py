# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The haproxy role lays down the base configuration only until the agent owns it.

Runs the role's configure tasks against localhost in check mode (nothing is
written) with the configuration file in a temporary folder, and reads what
the role would do to it from the JSON callback.
"""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    localhost_play,
    run_playbook,
    task_outcomes,
)

WRITE_TASK = "Write the base HAProxy configuration"

pytestmark = pytest.mark.skipif(
    shutil.which("haproxy") is None, reason="needs the haproxy package (make deps)"
)


def planned_write(collections_path, tmp_path, config_file):
    """Status of the base-config task when the role runs in check mode."""
    tasks = [
        {"name": "Configure", "ansible.builtin.import_role": {"name": "dfaas.edge.haproxy"}},
        # This host runs no systemd: stop before the (daemon-)reload handlers.
        {"name": "Stop before the handlers", "ansible.builtin.meta": "end_play", "tags": "always"},
    ]
    result = run_playbook(
        collections_path,
        tmp_path,
        [localhost_play("Handover", tasks=tasks)],
        extra_vars={"dfaas_haproxy_config_file": str(config_file)},
        check=True,
        tags="haproxy_configure",
        json_report=True,
    )
    outcomes = task_outcomes(result)
    assert WRITE_TASK in outcomes, "no task %r in the play" % WRITE_TASK
    return outcomes[WRITE_TASK]


def test_base_config_is_planned_where_there_is_none(collections_path, tmp_path):
    outcome = planned_write(collections_path, tmp_path, tmp_path / "haproxy.cfg")
    assert outcome.get("changed") is True
    assert not (tmp_path / "haproxy.cfg").exists()


def test_agent_rendered_config_is_left_alone(collections_path, tmp_path):
    config = tmp_path / "haproxy.cfg"
    agent_text = "# Rendered by dfaas-agent for node n1 (12D3KooW...). Do not edit:\nglobal\n"
    config.write_text(agent_text)
    outcome = planned_write(collections_path, tmp_path, config)
    assert outcome.get("skipped") is True
    assert config.read_text() == agent_text


def test_base_config_written_by_the_role_is_kept_up_to_date(collections_path, tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text("# Ansible managed\nglobal\n    maxconn 1\n")
    outcome = planned_write(collections_path, tmp_path, config)
    assert outcome.get("changed") is True
