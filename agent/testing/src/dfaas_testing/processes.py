"""Child processes with a log file, bounded waits, and free loopback ports.

Every wait here has an upper bound and every failure names what it waited for;
a process that exits early is reported with the end of its log.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

WAIT_S = 30.0
"""Default upper bound of a wait for a process or a state."""
STOP_WAIT_S = 10.0
"""How long a process has to end after SIGTERM (and again after SIGKILL)."""
POLL_S = 0.05
LOG_TAIL_LINES = 30


class LaunchError(RuntimeError):
    """A process did not start or ended early, or a state was not reached in time."""


class WaitTimeout(LaunchError):
    """A state was not reached in time."""


def wait_until(
    condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S, poll_s: float = POLL_S
) -> float:
    """Poll `condition` until it holds and return the seconds waited.

    `WaitTimeout` naming `what` after `timeout_s`; an exception that `condition` raises
    (for instance `LaunchError` from `check_running`) ends the wait at once.
    """
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout_s:
            raise WaitTimeout(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(poll_s)
    return time.monotonic() - start


def free_port(addresses: Iterable[str] = ("127.0.0.1",)) -> int:
    """A TCP port free on every one of `addresses` (a bounded number of tries).

    Nodes on 127.0.0.x share the federation's port numbers, so a shared port must be
    free on each of their addresses.
    """
    candidates = list(addresses)
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind((candidates[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for address in candidates[1:]:
                with socket.socket() as other:
                    other.bind((address, port))
        except OSError:
            continue
        return port
    raise LaunchError(f"no TCP port free on all of {candidates}")


def free_udp_port(taken: Iterable[int] = ()) -> int:
    """A UDP port free on 127.0.0.1 now and not in `taken` (ports handed out already but
    not bound yet): an agent's HAProxy latency log port."""
    excluded = set(taken)
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in excluded:
            return port
    raise LaunchError(f"no UDP port free on 127.0.0.1 outside {sorted(excluded)}")


def find_binary(name: str, install_hint: str, also_in: Sequence[Path] = ()) -> str:
    """`name` next to the running interpreter (its virtualenv), else on PATH, else in `also_in`.

    `LaunchError` with `install_hint` when it is nowhere.
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is not None:
        return found
    for directory in also_in:
        if (directory / name).is_file():
            return str(directory / name)
    raise LaunchError(
        f"{name} not found next to {sys.executable}, on PATH or in {[str(d) for d in also_in]}:"
        f" {install_hint}"
    )


def processes_mentioning(text: str) -> list[str]:
    """Command lines of the running processes that contain `text` (a leak check after stop)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if text in arguments:
            found.append(arguments)
    return found


def log_tail(log_file: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file ("" when it does not exist)."""
    try:
        text = log_file.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start_process(command: Sequence[str], log_file: Path) -> subprocess.Popen[bytes]:
    """Start `command` with stdout and stderr appended to `log_file`."""
    with log_file.open("ab") as log:
        try:
            return subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT)
        except OSError as error:
            raise LaunchError(f"cannot start {command[0]}: {error}") from error


def check_running(process: subprocess.Popen[bytes], what: str, log_file: Path) -> None:
    """`LaunchError` naming `what`, its exit code and the end of its log if it has ended."""
    code = process.poll()
    if code is not None:
        raise LaunchError(
            f"{what} exited with code {code}; last lines of {log_file}:\n{log_tail(log_file)}"
        )


def wait_while_running(
    process: subprocess.Popen[bytes],
    name: str,
    log_file: Path,
    condition: Callable[[], bool],
    what: str,
    *,
    timeout_s: float = WAIT_S,
) -> float:
    """`wait_until(condition)` for a state of `process` (named `name`, logging to `log_file`).

    Ends at once with `LaunchError` if the process exits meanwhile; either failure
    carries the end of its log.
    """

    def reached() -> bool:
        check_running(process, name, log_file)
        return condition()

    try:
        return wait_until(reached, what, timeout_s)
    except WaitTimeout as error:
        raise WaitTimeout(f"{error}; last lines of {log_file}:\n{log_tail(log_file)}") from None


def stop_process(process: subprocess.Popen[bytes], wait_s: float = STOP_WAIT_S) -> int | None:
    """SIGTERM, a bounded wait, then SIGKILL.

    The exit code when the process ended by itself or after SIGTERM, None when it had
    to be killed.
    """
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(wait_s)
        return None
