# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""dfaas.edge.haproxy_server run by ansible against a real HAProxy."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.tests.integration.services import HAProxy

pytestmark = pytest.mark.component

Runner = Callable[..., dict[str, Any]]
MODULE = "dfaas.edge.haproxy_server"


def _args(haproxy: HAProxy, **extra: Any) -> dict[str, Any]:
    return {"socket": str(haproxy.socket), "backend": "be_figlet", "server": "local", **extra}


def test_weight_and_state_change_in_haproxy(ansible: Runner, haproxy: HAProxy) -> None:
    result = ansible(MODULE, _args(haproxy, weight=40, state="drain"))

    assert result["changed"] is True
    assert haproxy.weight("be_figlet", "local") == "40 (initial 100)"
    assert haproxy.stat("be_figlet", "local")["status"] == "DRAIN"


def test_second_run_reports_no_change(ansible: Runner, haproxy: HAProxy) -> None:
    ansible(MODULE, _args(haproxy, weight=40, state="maint"))

    result = ansible(MODULE, _args(haproxy, weight=40, state="maint"))

    assert result["changed"] is False
    assert haproxy.stat("be_figlet", "local")["status"] == "MAINT"


def test_check_mode_reports_change_and_leaves_haproxy_alone(
    ansible: Runner, haproxy: HAProxy
) -> None:
    result = ansible(MODULE, _args(haproxy, weight=1, state="maint"), check=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["after"] == {"weight": 1, "state": "maint"}
    assert haproxy.weight("be_figlet", "local") == "100 (initial 100)"
    assert haproxy.stat("be_figlet", "local")["status"] == "no check"


def test_drained_server_returns_to_ready(ansible: Runner, haproxy: HAProxy) -> None:
    ansible(MODULE, _args(haproxy, state="drain"))

    result = ansible(MODULE, _args(haproxy, state="ready"))

    assert result["server"]["state"] == "ready"
    assert haproxy.stat("be_figlet", "local")["status"] == "no check"


def test_tcp_runtime_api_is_used_like_the_unix_socket(ansible: Runner, haproxy: HAProxy) -> None:
    result = ansible(
        MODULE, {**_args(haproxy, weight=7), "socket": haproxy.tcp_address, "server": "node_b"}
    )

    assert result["server"] == {
        "weight": 7,
        "initial_weight": 10,
        "state": "ready",
        "status": "no check",
    }
    assert haproxy.weight("be_figlet", "node_b") == "7 (initial 10)"


def test_unknown_backend_fails_with_haproxy_answer(ansible: Runner, haproxy: HAProxy) -> None:
    result = ansible(MODULE, _args(haproxy, backend="be_ghost", weight=1))

    assert result["failed"] is True
    assert "No such proxy" in result["msg"]
    assert str(haproxy.socket) in result["msg"]
