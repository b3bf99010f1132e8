# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.plugins.modules.openfaas_function import main
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeOpenFaaSGateway,
)

Runner = Callable[..., dict[str, Any]]


def _figlet(fake: FakeOpenFaaSGateway, **extra: Any) -> dict[str, Any]:
    return {
        "gateway_url": fake.url,
        "name": "figlet",
        "image": "ghcr.io/openfaas/figlet:1",
        "labels": {"dfaas.maxrate": 100, "dfaas.timeout_ms": 6000},
        "env_vars": {"exec_timeout": "4s"},
        **extra,
    }


def test_missing_function_is_created_with_string_labels(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    result = run_module(main, _figlet(fake_gateway))

    assert (result["changed"], result["operation"]) == (True, "created")
    (write,) = fake_gateway.writes()
    assert write["method"] == "POST"
    assert json.loads(write["body"]) == {
        "service": "figlet",
        "image": "ghcr.io/openfaas/figlet:1",
        "labels": {"dfaas.maxrate": "100", "dfaas.timeout_ms": "6000"},
        "annotations": {},
        "envVars": {"exec_timeout": "4s"},
    }


def test_second_run_reports_no_change_despite_gateway_own_labels(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    run_module(main, _figlet(fake_gateway))

    result = run_module(main, _figlet(fake_gateway))

    assert (result["changed"], result["operation"]) == (False, "none")
    assert len(fake_gateway.writes()) == 1


def test_changed_label_updates_the_function_with_put(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    run_module(main, _figlet(fake_gateway))

    result = run_module(main, _figlet(fake_gateway, labels={"dfaas.maxrate": 50}))

    assert (result["changed"], result["operation"]) == (True, "updated")
    assert fake_gateway.writes()[-1]["method"] == "PUT"
    assert fake_gateway.functions["figlet"]["labels"]["dfaas.maxrate"] == "50"


def test_changed_image_updates_the_function(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    run_module(main, _figlet(fake_gateway))

    run_module(main, _figlet(fake_gateway, image="ghcr.io/openfaas/figlet:2"))

    assert fake_gateway.functions["figlet"]["image"] == "ghcr.io/openfaas/figlet:2"


def test_check_mode_predicts_creation_without_sending_it(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    result = run_module(main, _figlet(fake_gateway), check=True)

    assert (result["changed"], result["operation"]) == (True, "created")
    assert result["function"]["labels"] == {"dfaas.maxrate": "100", "dfaas.timeout_ms": "6000"}
    assert fake_gateway.writes() == []
    assert fake_gateway.functions == {}


def test_check_mode_predicts_removal_without_sending_it(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    fake_gateway.add({"service": "figlet", "image": "figlet:1"})

    result = run_module(
        main, {"gateway_url": fake_gateway.url, "name": "figlet", "state": "absent"}, check=True
    )

    assert (result["changed"], result["operation"]) == (True, "deleted")
    assert "figlet" in fake_gateway.functions


def test_absent_removes_the_function(run_module: Runner, fake_gateway: FakeOpenFaaSGateway) -> None:
    fake_gateway.add({"service": "figlet", "image": "figlet:1"})

    result = run_module(
        main, {"gateway_url": fake_gateway.url, "name": "figlet", "state": "absent"}
    )

    assert (result["changed"], result["function"]) == (True, {})
    assert fake_gateway.functions == {}


def test_absent_function_that_does_not_exist_is_unchanged(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    result = run_module(
        main, {"gateway_url": fake_gateway.url, "name": "figlet", "state": "absent"}
    )

    assert (result["changed"], result["operation"]) == (False, "none")
    assert fake_gateway.writes() == []


def test_diff_shows_the_label_before_and_after(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    run_module(main, _figlet(fake_gateway))

    result = run_module(main, _figlet(fake_gateway, labels={"dfaas.maxrate": 50}), diff=True)

    assert result["diff"]["before"]["labels"]["dfaas.maxrate"] == "100"
    assert result["diff"]["after"]["labels"] == {"dfaas.maxrate": "50"}


def test_present_without_image_is_refused(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    result = run_module(main, {"gateway_url": fake_gateway.url, "name": "figlet"})

    assert result["failed"] is True
    assert "state is present but all of the following are missing: image" in result["msg"]


def test_missing_gateway_url_is_refused(
    run_module: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DFAAS_GATEWAY_URL", raising=False)

    result = run_module(main, {"name": "figlet", "image": "figlet:1"})

    assert result["failed"] is True
    assert result["msg"] == "gateway_url is required (or set DFAAS_GATEWAY_URL)"


def test_gateway_refusal_fails_naming_call_and_answer(run_module: Runner) -> None:
    gateway = FakeOpenFaaSGateway(username="admin", password="right").start()
    try:
        result = run_module(
            main,
            {
                "gateway_url": gateway.url,
                "gateway_username": "admin",
                "gateway_password": "wrong",
                "name": "figlet",
                "image": "figlet:1",
            },
        )
    finally:
        gateway.stop()

    assert result["failed"] is True
    assert (
        result["msg"] == f"GET {gateway.url}/system/function/figlet failed: HTTP 401: Unauthorized"
    )


def test_gateway_password_is_not_echoed_in_results(run_module: Runner) -> None:
    gateway = FakeOpenFaaSGateway(username="admin", password="pw-9f2c").start()
    try:
        result = run_module(
            main,
            {
                "gateway_url": gateway.url,
                "gateway_username": "admin",
                "gateway_password": "pw-9f2c",
                "name": "figlet",
                "image": "figlet:1",
            },
        )
    finally:
        gateway.stop()

    assert result["changed"] is True
    assert "pw-9f2c" not in json.dumps(result)
