# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one task file of a dfaas.edge role against localhost with ansible-playbook.

No Kubernetes API server can run on CI machines: these tests exercise the
parts of the k3s and openfaas roles that need none (data, rendering, checks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from k8s_helpers import COLLECTION_ROOT, PLAY_TIMEOUT_S


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """A collections folder in which dfaas.edge is this checkout."""
    root = tmp_path_factory.mktemp("collections")
    namespace = root / "ansible_collections" / "dfaas"
    namespace.mkdir(parents=True)
    (namespace / "edge").symlink_to(COLLECTION_ROOT, target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def run_role(collections_path, tmp_path_factory):
    """Include `tasks_from` (a task file or a list) of a role on localhost."""

    def run(role, tasks_from, variables, check=False):
        tmp_path = tmp_path_factory.mktemp("play")
        task_files = [tasks_from] if isinstance(tasks_from, str) else tasks_from
        playbook = tmp_path / "play.yml"
        playbook.write_text(
            json.dumps(
                [
                    {
                        "name": "Run %s/%s" % (role, tasks_from),
                        "hosts": "localhost",
                        "connection": "local",
                        "gather_facts": False,
                        "tasks": [
                            {
                                "name": "Include the role's task file %s" % task_file,
                                "ansible.builtin.include_role": {
                                    "name": "dfaas.edge.%s" % role,
                                    "tasks_from": task_file,
                                },
                            }
                            for task_file in task_files
                        ],
                    }
                ]
            )
        )
        extra_vars = tmp_path / "vars.json"
        extra_vars.write_text(json.dumps(variables))
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(collections_path),
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        )
        command = [sys.executable, "-m", "ansible.cli.playbook", "-e", "@%s" % extra_vars]
        command += ["--check", str(playbook)] if check else [str(playbook)]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=PLAY_TIMEOUT_S, check=False
        )

    return run
