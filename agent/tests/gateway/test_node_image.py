"""The project's node image (containers/): systemd boots as PID 1 and Ansible's python3 runs.

Needs Podman and the image built by containers/build-node-image.sh; without them
the tests fail and say how to get them, they never pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.component

CONTAINERS_DIR = Path(__file__).resolve().parents[3] / "containers"
BUILD_SCRIPT = CONTAINERS_DIR / "build-node-image.sh"
BOOT_WAIT_S = 90  # upper bound for systemd to finish booting the container
COMMAND_WAIT_S = 120


def _podman(*arguments: str, timeout: float = COMMAND_WAIT_S) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_DIR / "containers.conf")}
    return subprocess.run(
        ["podman", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment,
    )


def _current_image() -> str:
    """The image tag for the current Containerfile; fails the test if it was not built."""
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed: apt-get install -y podman runc debootstrap")
    tag = subprocess.run(
        [str(BUILD_SCRIPT), "--print-tag"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    if _podman("image", "exists", tag).returncode != 0:
        pytest.fail(
            f"node image {tag} (for the current Containerfile) is missing:"
            f" build it with {BUILD_SCRIPT.relative_to(CONTAINERS_DIR.parent)}"
        )
    return tag


@pytest.fixture(scope="module")
def node_container() -> Iterator[str]:
    image = _current_image()
    name = f"dfaas-test-node-{uuid.uuid4().hex[:8]}"
    started = _podman(
        "run", "--detach", "--name", name, "--systemd=always", "--cap-add", "SYS_ADMIN", image
    )
    assert started.returncode == 0, f"podman run failed: {started.stderr}"
    try:
        yield name
    finally:
        _podman("rm", "--force", "--time", "0", name)


def _exec(container: str, *command: str) -> subprocess.CompletedProcess[str]:
    return _podman("exec", container, *command)


def test_systemd_is_pid_1(node_container: str) -> None:
    assert _exec(node_container, "cat", "/proc/1/comm").stdout.strip() == "systemd"


def _boot_state(container: str) -> str:
    """`systemctl is-system-running --wait`, asked again while systemd cannot answer yet
    (right after the start, on a busy machine, its bus is not up: empty answer)."""
    deadline = time.monotonic() + BOOT_WAIT_S
    state = ""
    while time.monotonic() < deadline:
        left = max(1, int(deadline - time.monotonic()))
        state = _exec(
            container, "timeout", str(left), "systemctl", "is-system-running", "--wait"
        ).stdout.strip()
        if state not in ("", "offline"):
            return state
        time.sleep(0.5)
    return state


def test_systemd_finishes_booting_without_failed_units(node_container: str) -> None:
    state = _boot_state(node_container)
    failed = _exec(node_container, "systemctl", "--failed", "--no-legend", "--plain").stdout
    assert state == "running", f"system is {state!r}; failed units:\n{failed}"


def test_python3_runs_for_ansible(node_container: str) -> None:
    result = _exec(node_container, "python3", "-c", "import apt, json; print(json.dumps(1 + 1))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"


def test_container_gets_the_open_file_limit_from_containers_conf(node_container: str) -> None:
    limits = _exec(node_container, "cat", "/proc/1/limits").stdout
    open_files = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert open_files.split()[3:5] == ["20000", "20000"]
