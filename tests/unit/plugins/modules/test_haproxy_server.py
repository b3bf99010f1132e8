# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.plugins.modules.haproxy_server import main
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeHAProxyRuntimeSocket,
)

Runner = Callable[..., dict[str, Any]]


def _args(fake: FakeHAProxyRuntimeSocket, **extra: Any) -> dict[str, Any]:
    return {"socket": fake.path, "backend": "be_figlet", "server": "local", **extra}


def test_without_weight_or_state_only_reads_the_server(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, _args(fake_haproxy))

    assert result["changed"] is False
    assert result["server"] == {
        "weight": 100,
        "initial_weight": 100,
        "state": "ready",
        "status": "UP",
    }
    assert fake_haproxy.writes() == []


def test_new_weight_and_state_are_set_and_reported_changed(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, _args(fake_haproxy, weight=30, state="drain"))

    assert result["changed"] is True
    assert fake_haproxy.servers["be_figlet/local"] == {
        "weight": 30,
        "initial": 100,
        "state": "drain",
    }
    assert (result["server"]["weight"], result["server"]["state"]) == (30, "drain")


def test_second_run_with_same_values_reports_no_change(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    run_module(main, _args(fake_haproxy, weight=30, state="maint"))
    writes = len(fake_haproxy.writes())

    result = run_module(main, _args(fake_haproxy, weight=30, state="maint"))

    assert result["changed"] is False
    assert len(fake_haproxy.writes()) == writes


def test_check_mode_predicts_change_without_sending_it(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, _args(fake_haproxy, weight=5, state="maint"), check=True)

    assert result["changed"] is True
    assert (result["server"]["weight"], result["server"]["state"]) == (5, "maint")
    assert fake_haproxy.writes() == []
    assert fake_haproxy.servers["be_figlet/local"]["weight"] == 100


def test_diff_shows_weight_and_state_before_and_after(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, _args(fake_haproxy, weight=5), diff=True)

    assert result["diff"]["before"] == {"weight": 100, "state": "ready"}
    assert result["diff"]["after"] == {"weight": 5, "state": "ready"}


def test_only_the_field_that_differs_is_sent(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    run_module(main, _args(fake_haproxy, weight=100, state="drain"))

    assert fake_haproxy.writes() == ["set server be_figlet/local state drain"]


@pytest.mark.parametrize("weight", [-1, 257])
def test_weight_outside_0_to_256_fails_before_contacting_haproxy(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket, weight: int
) -> None:
    result = run_module(main, _args(fake_haproxy, weight=weight))

    assert result["failed"] is True
    assert result["msg"] == f"weight {weight} is outside 0..256"
    assert fake_haproxy.commands == []


def test_unknown_state_is_refused_by_argument_validation(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, _args(fake_haproxy, state="down"))

    assert result["failed"] is True
    assert "value of state must be one of: ready, drain, maint" in result["msg"]


def test_missing_backend_is_refused_by_argument_validation(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, {"socket": fake_haproxy.path, "server": "local"})

    assert result["failed"] is True
    assert "missing required arguments: backend" in result["msg"]


def test_unknown_server_fails_naming_it_and_its_backend(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket
) -> None:
    result = run_module(main, _args(fake_haproxy, server="ghost", weight=1))

    assert result["failed"] is True
    assert "no server 'ghost' in backend 'be_figlet'" in result["msg"]
    assert fake_haproxy.writes() == []


def test_missing_socket_fails_naming_the_socket(run_module: Runner, tmp_path: Path) -> None:
    missing = str(tmp_path / "none.sock")

    result = run_module(main, {"socket": missing, "backend": "be_figlet", "server": "local"})

    assert result["failed"] is True
    assert missing in result["msg"]


def test_socket_is_taken_from_environment_when_not_given(
    run_module: Runner, fake_haproxy: FakeHAProxyRuntimeSocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DFAAS_HAPROXY_SOCKET", fake_haproxy.path)

    result = run_module(main, {"backend": "be_figlet", "server": "node_b"})

    assert result["server"]["weight"] == 0


@pytest.mark.parametrize(
    ("timeout", "shown"), [(-1, "-1"), (0, "0"), ("nan", "nan"), ("inf", "inf")]
)
@pytest.mark.parametrize("check", [True, False])
def test_a_socket_timeout_not_above_0_fails_naming_it_before_contacting_haproxy(
    run_module: Runner,
    fake_haproxy: FakeHAProxyRuntimeSocket,
    timeout: Any,
    shown: str,
    check: bool,
) -> None:
    result = run_module(main, _args(fake_haproxy, socket_timeout=timeout, weight=5), check=check)

    assert result["failed"] is True
    assert result["msg"] == f"socket_timeout must be a number of seconds above 0, got {shown}"
    assert fake_haproxy.commands == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("backend", "be figlet"), ("backend", ""), ("server", "local;show info"), ("server", "a/b")],
)
@pytest.mark.parametrize("check", [True, False])
def test_a_backend_or_server_that_is_no_haproxy_name_fails_before_contacting_haproxy(
    run_module: Runner,
    fake_haproxy: FakeHAProxyRuntimeSocket,
    option: str,
    value: str,
    check: bool,
) -> None:
    result = run_module(main, _args(fake_haproxy, **{option: value}, weight=5), check=check)

    assert result["failed"] is True
    assert result["msg"] == (
        f"{option} {value!r} is not an HAProxy name (letters, digits, '.', '_', ':' and '-')"
    )
    assert fake_haproxy.commands == []


@pytest.mark.parametrize("check", [True, False])
def test_a_socket_address_that_is_neither_path_nor_host_port_fails_naming_it(
    run_module: Runner, check: bool
) -> None:
    result = run_module(
        main, {"socket": "haproxy", "backend": "be_figlet", "server": "local"}, check=check
    )

    assert result["failed"] is True
    assert result["msg"] == (
        "socket: HAProxy runtime socket 'haproxy' is neither a unix socket path nor HOST:PORT"
    )
