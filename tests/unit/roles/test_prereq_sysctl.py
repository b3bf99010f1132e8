# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The prereq role applies kernel settings only where the running values differ.

Runs the role's configure stage against localhost in check mode (nothing is
written or applied): reading the running values is real, and the JSON
callback tells whether the apply step was wanted (its condition held, check
mode stopped it) or not needed (its condition was false).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTION_ROOT = Path(__file__).resolve().parents[3]
APPLY_TASK = "Apply the kernel settings that differ"
REPORT_TASK = "Report the kernel settings that check mode would apply"
KEYS = ["net.ipv4.ip_local_port_range", "net.core.somaxconn"]
TIMEOUT_S = 120

pytestmark = pytest.mark.skipif(
    not all(Path("/proc/sys", *key.split(".")).is_file() for key in KEYS),
    reason="needs Linux /proc/sys",
)


def running_value(key):
    return Path("/proc/sys", *key.split(".")).read_text().strip()


@pytest.fixture(scope="module")
def collections_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("collections")
    namespace = root / "ansible_collections" / "dfaas"
    namespace.mkdir(parents=True)
    (namespace / "edge").symlink_to(COLLECTION_ROOT, target_is_directory=True)
    return root


def configure_in_check_mode(collections_path, tmp_path, sysctl):
    """Outcome of every task of the configure stage, by task name, in check mode."""
    tasks = [
        {"name": "Configure", "ansible.builtin.import_role": {"name": "dfaas.edge.prereq"}},
        {"name": "Stop before any handler", "ansible.builtin.meta": "end_play", "tags": "always"},
    ]
    play = {"name": "Tune", "hosts": "localhost", "connection": "local", "gather_facts": False}
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([dict(play, tasks=tasks)]))
    variables = {
        "dfaas_prereq_sysctl": sysctl,
        "dfaas_prereq_sysctl_apply": True,
        "dfaas_prereq_sysctl_file": str(tmp_path / "60-dfaas.conf"),
        "dfaas_prereq_limits_file": str(tmp_path / "60-limits.conf"),
    }
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    command = [sys.executable, "-m", "ansible.cli.playbook", "--check"]
    command += ["--tags", "prereq_configure", "-e", json.dumps(variables), str(playbook)]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    return {
        task["task"]["name"].split(" : ")[-1]: task["hosts"].get("localhost", {}) for task in tasks
    }


def test_settings_equal_to_the_running_ones_are_not_applied(collections_path, tmp_path):
    # The port range reads back tab-separated: the comparison must not care.
    sysctl = {key: " ".join(running_value(key).split()) for key in KEYS}
    outcomes = configure_in_check_mode(collections_path, tmp_path, sysctl)
    assert outcomes[APPLY_TASK].get("false_condition"), outcomes[APPLY_TASK]
    assert outcomes[REPORT_TASK].get("changed") is not True


def test_a_setting_that_differs_is_applied(collections_path, tmp_path):
    sysctl = {key: running_value(key) for key in KEYS}
    sysctl["net.core.somaxconn"] = int(running_value("net.core.somaxconn")) + 1
    outcomes = configure_in_check_mode(collections_path, tmp_path, sysctl)
    assert "not in check mode" in outcomes[APPLY_TASK].get("msg", ""), outcomes[APPLY_TASK]


def test_check_mode_reports_a_setting_that_differs_as_a_change(collections_path, tmp_path):
    sysctl = {"net.core.somaxconn": int(running_value("net.core.somaxconn")) + 1}
    outcomes = configure_in_check_mode(collections_path, tmp_path, sysctl)
    assert outcomes[REPORT_TASK].get("changed") is True
