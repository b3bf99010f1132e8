# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a real ansible-playbook against this checkout of dfaas.edge, in a subprocess.

The playbook tests of tests/unit (roles, k8s, playbooks) share this: a collections
folder in which dfaas.edge is this checkout, and one way to call ansible-playbook
(quiet about localhost and inventories, no colours, no retry files, its temporary
files and its own files in the test's folder, every call bounded in time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
PLAY_TIMEOUT_S = 120

Plays = Sequence[Mapping[str, Any]]


def make_collections_path(root: Path) -> Path:
    """Make ``root`` a collections folder in which dfaas.edge is this checkout."""
    namespace = root / "ansible_collections" / "dfaas"
    namespace.mkdir(parents=True)
    (namespace / "edge").symlink_to(COLLECTION_ROOT, target_is_directory=True)
    return root


def localhost_play(name: str, **keywords: Any) -> dict[str, Any]:
    """A play on localhost with the local connection, no facts gathered, and ``keywords``
    (``tasks``, ``roles``, ``vars``...)."""
    play = {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False}
    return dict(play, **keywords)


def run_playbook(
    collections_path: Path,
    work_dir: Path,
    playbook: Path | Plays,
    *,
    extra_vars: Mapping[str, Any] | None = None,
    inventory: str | None = None,
    check: bool = False,
    tags: str | None = None,
    json_report: bool = False,
    args: Iterable[str] = (),
    timeout_s: float = PLAY_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run ansible-playbook in ``work_dir``; return the completed process.

    ``playbook`` is a playbook file, or plays that are written to ``work_dir/play.yml``.
    ``extra_vars`` go through a JSON file, ``inventory`` (YAML text) through
    ``work_dir/hosts.yml``; without it, ansible-playbook runs against the implicit
    localhost. ``json_report`` makes stdout the ansible.posix.json callback's report.
    """
    if not isinstance(playbook, Path):
        plays = playbook
        playbook = work_dir / "play.yml"
        playbook.write_text(json.dumps(list(plays)))
    command = [sys.executable, "-m", "ansible.cli.playbook"]
    if inventory is not None:
        hosts = work_dir / "hosts.yml"
        hosts.write_text(inventory)
        command += ["-i", str(hosts)]
    if extra_vars is not None:
        variables = work_dir / "vars.json"
        variables.write_text(json.dumps(extra_vars))
        command += ["-e", "@%s" % variables]
    if check:
        command.append("--check")
    if tags is not None:
        command += ["--tags", tags]
    command += [*args, str(playbook)]
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_LOCAL_TEMP=str(work_dir / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    if json_report:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=str(work_dir),
        timeout=timeout_s,
        check=False,
    )


def task_outcomes(result: subprocess.CompletedProcess[str], host: str = "localhost") -> dict:
    """``{task name: host's outcome}`` of the first play, from a ``json_report`` run.

    Task names lose the ``role : `` prefix that ansible-playbook gives a role's tasks.
    """
    assert result.returncode == 0, result.stdout + result.stderr
    tasks = json.loads(result.stdout)["plays"][0]["tasks"]
    return {task["task"]["name"].split(" : ")[-1]: task["hosts"].get(host, {}) for task in tasks}
