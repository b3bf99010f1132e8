# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The prereq role applies kernel settings only where the running values differ.

Runs the role's configure stage against localhost in check mode (nothing is
written or applied): reading the running values is real, and the JSON
callback tells whether the apply step was wanted (its condition held, check
mode stopped it) or not needed (its condition was false).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    localhost_play,
    run_playbook,
    task_outcomes,
)

APPLY_TASK = "Apply the kernel settings that differ"
REPORT_TASK = "Report the kernel settings that check mode would apply"
KEYS = ["net.ipv4.ip_local_port_range", "net.core.somaxconn"]

pytestmark = pytest.mark.skipif(
    not all(Path("/proc/sys", *key.split(".")).is_file() for key in KEYS),
    reason="needs Linux /proc/sys",
)


def running_value(key):
    return Path("/proc/sys", *key.split(".")).read_text().strip()


def configure_in_check_mode(collections_path, tmp_path, sysctl):
    """Outcome of every task of the configure stage, by task name, in check mode."""
    tasks = [
        {"name": "Configure", "ansible.builtin.import_role": {"name": "dfaas.edge.prereq"}},
        {"name": "Stop before any handler", "ansible.builtin.meta": "end_play", "tags": "always"},
    ]
    variables = {
        "dfaas_prereq_sysctl": sysctl,
        "dfaas_prereq_sysctl_apply": True,
        "dfaas_prereq_sysctl_file": str(tmp_path / "60-dfaas.conf"),
        "dfaas_prereq_limits_file": str(tmp_path / "60-limits.conf"),
    }
    result = run_playbook(
        collections_path,
        tmp_path,
        [localhost_play("Tune", tasks=tasks)],
        extra_vars=variables,
        check=True,
        tags="prereq_configure",
        json_report=True,
    )
    return task_outcomes(result)


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
