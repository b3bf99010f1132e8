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


# --- options checked before the gateway is asked: check mode fails like the real run ---

_NAME_RULE = (
    "is not a function name that OpenFaaS and the DFaaS runtime accept: a DNS-1123 label"
    " (lower-case letters, digits and '-', starting and ending with a letter or digit,"
    " at most 63 characters)"
)


def _refused_in_both_modes(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, args: dict[str, Any]
) -> str:
    """Run in check mode and for real; both must fail alike without a call to the gateway."""
    check = run_module(main, args, check=True)
    real = run_module(main, args)

    assert check["failed"] is True
    assert real["failed"] is True
    assert check["msg"] == real["msg"]
    assert fake_gateway.requests == []
    msg: str = real["msg"]
    return msg


@pytest.mark.parametrize("name", ["My_Fn", "my_fn", "my.fn", "-fn", "fn-", "Figlet", "a" * 64, ""])
def test_a_name_that_is_no_dns_1123_label_is_refused_in_check_mode_too(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, name: str
) -> None:
    msg = _refused_in_both_modes(run_module, fake_gateway, _figlet(fake_gateway, name=name))

    assert msg == f"name {name!r} {_NAME_RULE}"


def test_a_name_with_a_trailing_newline_is_refused(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    msg = _refused_in_both_modes(run_module, fake_gateway, _figlet(fake_gateway, name="figlet\n"))

    assert msg == f"name 'figlet\\n' {_NAME_RULE}"


def test_a_bad_name_is_refused_for_removal_too(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    args = {"gateway_url": fake_gateway.url, "name": "My_Fn", "state": "absent"}

    msg = _refused_in_both_modes(run_module, fake_gateway, args)

    assert msg == f"name 'My_Fn' {_NAME_RULE}"


@pytest.mark.parametrize("name", ["a", "0", "fn-1", "figlet2", "a" * 63, "a--b"])
def test_dns_1123_names_are_deployed(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, name: str
) -> None:
    result = run_module(main, _figlet(fake_gateway, name=name))

    assert (result["changed"], result["operation"]) == (True, "created")
    assert name in fake_gateway.functions


def test_a_namespace_that_is_no_dns_1123_label_is_refused(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    msg = _refused_in_both_modes(
        run_module, fake_gateway, _figlet(fake_gateway, namespace="OpenFaaS_fn")
    )

    assert msg.startswith("namespace 'OpenFaaS_fn' is not a Kubernetes namespace name")


@pytest.mark.parametrize(
    ("labels", "env_vars", "expected"),
    [
        (
            {"dfaas.maxrate": -5},
            {},
            "labels.dfaas.maxrate must be a number of requests per second >= 0, got '-5'",
        ),
        (
            {"dfaas.maxrate": "fast"},
            {},
            "labels.dfaas.maxrate must be a number of requests per second >= 0, got 'fast'",
        ),
        (
            {"dfaas.maxrate": "nan"},
            {},
            "labels.dfaas.maxrate must be a number of requests per second >= 0, got 'nan'",
        ),
        (
            {"dfaas.maxrate": "inf"},
            {},
            "labels.dfaas.maxrate must be a number of requests per second >= 0, got 'inf'",
        ),
        (
            {"dfaas.timeout_ms": 0},
            {},
            "labels.dfaas.timeout_ms must be a positive integer, got '0'",
        ),
        (
            {"dfaas.timeout_ms": 1.5},
            {},
            "labels.dfaas.timeout_ms must be a positive integer, got '1.5'",
        ),
        (
            {"dfaas.max_inflight": -1},
            {},
            "labels.dfaas.max_inflight must be a positive integer, got '-1'",
        ),
        (
            {"dfaas.max_inflight": 10001},
            {},
            "labels.dfaas.max_inflight must be an integer from 1 to 10000, got '10001'",
        ),
        (
            {},
            {"max_inflight": 0},
            "env_vars.max_inflight must be an integer from 1 to 10000, got '0'",
        ),
        (
            {},
            {"max_inflight": "many"},
            "env_vars.max_inflight must be an integer from 1 to 10000, got 'many'",
        ),
        (
            {},
            {"max_inflight": 100000},
            "env_vars.max_inflight must be an integer from 1 to 10000, got '100000'",
        ),
        (
            {},
            {"exec_timeout": "soon"},
            "env_vars.exec_timeout 'soon' is not a duration (examples: 4s, 500ms, 1m30s, 2.5)",
        ),
        (
            {},
            {"exec_timeout": "0s"},
            "env_vars.exec_timeout '0s' must be a duration above 0",
        ),
    ],
)
def test_a_limit_the_runtime_refuses_is_refused_in_check_mode_too(
    run_module: Runner,
    fake_gateway: FakeOpenFaaSGateway,
    labels: dict[str, Any],
    env_vars: dict[str, Any],
    expected: str,
) -> None:
    args = _figlet(fake_gateway, labels=labels, env_vars=env_vars)

    assert _refused_in_both_modes(run_module, fake_gateway, args) == expected


def test_a_max_inflight_env_overrides_the_label_that_the_runtime_ignores(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    args = _figlet(fake_gateway, labels={"dfaas.max_inflight": 20000}, env_vars={"max_inflight": 8})

    result = run_module(main, args)

    assert (result["changed"], result["operation"]) == (True, "created")


@pytest.mark.parametrize("maxrate", [0, "12.5", 100])
def test_any_rate_the_agent_reads_is_deployed(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, maxrate: Any
) -> None:
    result = run_module(main, _figlet(fake_gateway, labels={"dfaas.maxrate": maxrate}))

    assert result["operation"] == "created"


@pytest.mark.parametrize("option", ["labels", "annotations", "env_vars"])
def test_a_map_value_that_is_no_scalar_is_refused(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, option: str
) -> None:
    args = _figlet(fake_gateway, **{option: {"team": ["a", "b"]}})

    msg = _refused_in_both_modes(run_module, fake_gateway, args)

    assert msg == f"{option}.team must be a string, number or boolean, got a list"


def test_an_image_over_512_characters_is_refused(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    msg = _refused_in_both_modes(run_module, fake_gateway, _figlet(fake_gateway, image="x" * 513))

    assert msg == "image must be 1 to 512 characters, got 513"


def test_an_empty_image_is_refused(run_module: Runner, fake_gateway: FakeOpenFaaSGateway) -> None:
    msg = _refused_in_both_modes(run_module, fake_gateway, _figlet(fake_gateway, image=""))

    assert msg == "image must be 1 to 512 characters, got 0"


@pytest.mark.parametrize(("timeout", "shown"), [(-1, "-1"), (0, "0")])
def test_a_gateway_timeout_not_above_0_is_refused_naming_it(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, timeout: int, shown: str
) -> None:
    args = _figlet(fake_gateway, gateway_timeout=timeout)

    msg = _refused_in_both_modes(run_module, fake_gateway, args)

    assert msg == f"gateway_timeout must be a number of seconds above 0, got {shown}"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/", "gateway:8080", "http://", "http://h:99999"]
)
def test_a_gateway_url_that_is_no_http_url_is_refused_naming_it(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway, url: str
) -> None:
    args = _figlet(fake_gateway, gateway_url=url)

    msg = _refused_in_both_modes(run_module, fake_gateway, args)

    assert msg == (
        f"gateway_url {url!r} is not an http:// or https:// URL with a host and a valid port"
    )


def test_a_refused_url_does_not_echo_its_credentials(
    run_module: Runner, fake_gateway: FakeOpenFaaSGateway
) -> None:
    args = _figlet(fake_gateway, gateway_url="ftp://admin:s3cret-77@gw/")

    msg = _refused_in_both_modes(run_module, fake_gateway, args)

    assert "s3cret-77" not in msg
    assert "ftp://***@gw/" in msg
