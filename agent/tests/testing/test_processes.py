"""Bounded waits, free ports and child processes of `dfaas_testing`."""

from __future__ import annotations

import signal
import socket
import sys
from pathlib import Path

import pytest

from dfaas_testing import (
    LaunchError,
    WaitTimeout,
    check_running,
    find_binary,
    free_port,
    master_reloads,
    start_process,
    stop_process,
    wait_until,
    wait_while_running,
)

SHOW_PROC = """#<PID>          <type>          <reloads>       <uptime>        <version>
4121            master          3 [failed: 0]   0d00h00m12s     2.6.12-1+deb12u4
# workers
4188            worker          0               0d00h00m02s     2.6.12-1+deb12u4
# old workers
4160            worker          1               0d00h00m05s     2.6.12-1+deb12u4
"""


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_wait_until_returns_once_the_condition_holds() -> None:
    answers = iter([False, False, True])

    waited = wait_until(lambda: next(answers), "the third answer", timeout_s=10.0, poll_s=0.01)

    assert waited >= 0.0


def test_wait_until_names_what_it_waited_for_when_time_is_up() -> None:
    with pytest.raises(WaitTimeout, match=r"timed out after 0\.1 s waiting for the moon"):
        wait_until(lambda: False, "the moon", timeout_s=0.1, poll_s=0.01)


def test_a_free_port_can_be_bound_on_every_address() -> None:
    addresses = ["127.0.0.11", "127.0.0.12"]

    port = free_port(addresses)

    with socket.socket() as first, socket.socket() as second:
        first.bind((addresses[0], port))
        second.bind((addresses[1], port))
        assert first.getsockname() == (addresses[0], port)
        assert second.getsockname() == (addresses[1], port)


def test_the_reload_count_is_read_from_the_master_line() -> None:
    assert master_reloads(SHOW_PROC) == 3


def test_a_show_proc_answer_without_a_master_is_refused() -> None:
    with pytest.raises(LaunchError, match="names no master"):
        master_reloads("# workers\n4188 worker 0\n")


def test_a_missing_binary_is_named_with_the_install_hint() -> None:
    with pytest.raises(LaunchError, match=r"no-such-dfaas-binary not found.*run make venv"):
        find_binary("no-such-dfaas-binary", "run make venv")


def test_a_binary_is_found_next_to_the_interpreter_first() -> None:
    assert find_binary(Path(sys.executable).name, "") == sys.executable


def test_starting_a_missing_command_names_it(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="cannot start /no/such/program"):
        start_process(["/no/such/program"], tmp_path / "log")


def test_an_exited_process_is_reported_with_its_code_and_the_end_of_its_log(
    tmp_path: Path,
) -> None:
    log = tmp_path / "agent.log"
    process = start_process(_python("print('bad key: strategy'); raise SystemExit(2)"), log)
    process.wait(10)

    with pytest.raises(LaunchError, match=r"node-a agent exited with code 2(.|\n)*bad key"):
        check_running(process, "node-a agent", log)


def test_a_wait_ends_at_once_when_the_process_exits(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    process = start_process(_python("print('port in use'); raise SystemExit(1)"), log)

    # The bound is far away: only the exit can end this wait in time for the test.
    with pytest.raises(LaunchError, match=r"exited with code 1(.|\n)*port in use"):
        wait_while_running(process, "gateway", log, lambda: False, "ready", timeout_s=60.0)


def test_a_wait_that_times_out_carries_the_end_of_the_log(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    code = "import time; print('still loading', flush=True); time.sleep(60)"
    process = start_process(_python(code), log)
    try:
        wait_until(lambda: "still loading" in log.read_text(), "the first line", timeout_s=10.0)

        with pytest.raises(WaitTimeout, match=r"waiting for ready(.|\n)*still loading"):
            wait_while_running(process, "gateway", log, lambda: False, "ready", timeout_s=0.2)
    finally:
        stop_process(process)


def test_stop_returns_the_exit_code_of_a_graceful_stop(tmp_path: Path) -> None:
    process = start_process(_python("import time; time.sleep(60)"), tmp_path / "log")

    assert stop_process(process) == -signal.SIGTERM


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "log"
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        " print('ignoring', flush=True); time.sleep(60)"
    )
    process = start_process(_python(code), log)
    wait_until(lambda: "ignoring" in log.read_text(), "SIGTERM ignored", timeout_s=10.0)

    assert stop_process(process, wait_s=0.5) is None
    assert process.returncode == -signal.SIGKILL
