# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one task file of a dfaas.edge role against localhost with ansible-playbook.

No Kubernetes API server can run on CI machines: these tests exercise the
parts of the k3s and openfaas roles that need none (data, rendering, checks).
"""

from __future__ import annotations

import pytest

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import (
    localhost_play,
    run_playbook,
)


@pytest.fixture(scope="session")
def run_role(collections_path, tmp_path_factory):
    """Include `tasks_from` (a task file or a list) of a role on localhost."""

    def run(role, tasks_from, variables, check=False):
        task_files = [tasks_from] if isinstance(tasks_from, str) else tasks_from
        tasks = [
            {
                "name": "Include the role's task file %s" % task_file,
                "ansible.builtin.include_role": {
                    "name": "dfaas.edge.%s" % role,
                    "tasks_from": task_file,
                },
            }
            for task_file in task_files
        ]
        play = localhost_play("Run %s/%s" % (role, tasks_from), tasks=tasks)
        work_dir = tmp_path_factory.mktemp("play")
        return run_playbook(collections_path, work_dir, [play], extra_vars=variables, check=check)

    return run
