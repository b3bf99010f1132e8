# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The haproxy role lays down the base configuration only until the agent owns it.

Runs the role's configure tasks against localhost in check mode (nothing is
written) with the configuration file in a temporary folder, and reads what
the role would do to it from the JSON callback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
WRITE_TASK = "Write the base HAProxy configuration"
PLAY_TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    shutil.which("haproxy") is None, reason="needs the haproxy package (make deps)"
)


@pytest.fixture(scope="module")
def collections_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("collections")
    namespace = root / "ansible_collections" / "dfaas"
    namespace.mkdir(parents=True)
    (namespace / "edge").symlink_to(COLLECTION_ROOT, target_is_directory=True)
    return root


def planned_write(collections_path, tmp_path, config_file):
    """Status of the base-config task when the role runs in check mode."""
    playbook = tmp_path / "play.yml"
    tasks = [
        {"name": "Configure", "ansible.builtin.import_role": {"name": "dfaas.edge.haproxy"}},
        # This host runs no systemd: stop before the (daemon-)reload handlers.
        {"name": "Stop before the handlers", "ansible.builtin.meta": "end_play", "tags": "always"},
    ]
    play = {"name": "Handover", "hosts": "localhost", "connection": "local", "gather_facts": False}
    playbook.write_text(json.dumps([dict(play, tasks=tasks)]))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    command = [
        sys.executable,
        "-m",
        "ansible.cli.playbook",
        "--check",
        "--tags",
        "haproxy_configure",
        "-e",
        "dfaas_haproxy_config_file=%s" % config_file,
        str(playbook),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=PLAY_TIMEOUT_S, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    for task in report["plays"][0]["tasks"]:
        if task["task"]["name"].endswith(WRITE_TASK):
            return task["hosts"]["localhost"]
    raise AssertionError("no task %r in the play" % WRITE_TASK)


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
