# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""dfaas.edge.openfaas_function run by ansible against the project's function runtime,
which serves the OpenFaaS gateway API (OpenFaaS itself cannot run on this machine)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.tests.integration.services import (
    GATEWAY_PASSWORD,
    GATEWAY_USER,
    MonitoredNode,
    http_get_json,
)

pytestmark = pytest.mark.component

Runner = Callable[..., dict[str, Any]]
MODULE = "dfaas.edge.openfaas_function"


def _function(node: MonitoredNode, name: str) -> Any:
    functions = http_get_json(f"{node.gateway_url}/system/functions")
    return next((f for f in functions if f["name"] == name), None)


def _args(node: MonitoredNode, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "gateway_url": node.gateway_url,
        "gateway_username": GATEWAY_USER,
        "gateway_password": GATEWAY_PASSWORD,
        "name": name,
        "image": "ghcr.io/openfaas/shasum:latest",
        "labels": {"dfaas.maxrate": 100, "dfaas.timeout_ms": 6000},
        "env_vars": {"max_inflight": 4},
        **extra,
    }


def test_function_is_deployed_with_its_labels(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    result = ansible(MODULE, _args(monitored_node, "sha-deploy"))

    assert (result["changed"], result["operation"]) == (True, "created")
    deployed = _function(monitored_node, "sha-deploy")
    assert deployed["labels"] == {"dfaas.maxrate": "100", "dfaas.timeout_ms": "6000"}
    assert deployed["envVars"] == {"max_inflight": "4"}


def test_second_run_reports_no_change(ansible: Runner, monitored_node: MonitoredNode) -> None:
    ansible(MODULE, _args(monitored_node, "sha-idem"))

    result = ansible(MODULE, _args(monitored_node, "sha-idem"))

    assert (result["changed"], result["operation"]) == (False, "none")


def test_changed_label_updates_the_function(ansible: Runner, monitored_node: MonitoredNode) -> None:
    ansible(MODULE, _args(monitored_node, "sha-update"))

    result = ansible(
        MODULE, _args(monitored_node, "sha-update", labels={"dfaas.maxrate": 5}), diff=True
    )

    assert (result["changed"], result["operation"]) == (True, "updated")
    assert result["diff"]["before"]["labels"]["dfaas.maxrate"] == "100"
    assert _function(monitored_node, "sha-update")["labels"] == {"dfaas.maxrate": "5"}


def test_check_mode_deploys_nothing(ansible: Runner, monitored_node: MonitoredNode) -> None:
    result = ansible(MODULE, _args(monitored_node, "sha-check"), check=True)

    assert (result["changed"], result["operation"]) == (True, "created")
    assert _function(monitored_node, "sha-check") is None


def test_absent_removes_the_function(ansible: Runner, monitored_node: MonitoredNode) -> None:
    ansible(MODULE, _args(monitored_node, "sha-remove"))

    result = ansible(MODULE, _args(monitored_node, "sha-remove", state="absent"))

    assert (result["changed"], result["operation"]) == (True, "deleted")
    assert _function(monitored_node, "sha-remove") is None


def test_gateway_refusal_fails_with_its_reason(
    ansible: Runner, monitored_node: MonitoredNode
) -> None:
    result = ansible(MODULE, _args(monitored_node, "sha-bad", image="example.org/not-a-builtin:1"))

    assert result["failed"] is True
    assert f"POST {monitored_node.gateway_url}/system/functions failed: HTTP 400" in result["msg"]
    assert "not a built-in function" in result["msg"]


@pytest.mark.parametrize(
    "credential",
    [{}, {"gateway_username": GATEWAY_USER, "gateway_password": "guessed"}],
    ids=["none", "wrong-password"],
)
def test_deploy_without_the_gateways_credential_fails_naming_the_refusal(
    ansible: Runner, monitored_node: MonitoredNode, credential: dict[str, str]
) -> None:
    arguments = {
        key: value
        for key, value in _args(monitored_node, "sha-intruder").items()
        if not key.startswith("gateway_user") and not key.startswith("gateway_pass")
    }

    result = ansible(MODULE, {**arguments, **credential})

    assert result["failed"] is True
    assert f"POST {monitored_node.gateway_url}/system/functions failed: HTTP 401" in result["msg"]
    assert _function(monitored_node, "sha-intruder") is None
