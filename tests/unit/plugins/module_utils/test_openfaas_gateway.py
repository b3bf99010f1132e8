# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.openfaas_gateway import (
    GatewayClient,
    GatewayError,
)
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakeOpenFaaSGateway,
)

FIGLET = {"service": "figlet", "image": "figlet:1", "labels": {"dfaas.maxrate": "100"}}


def test_list_functions_returns_gateway_functions(fake_gateway: FakeOpenFaaSGateway) -> None:
    fake_gateway.add(FIGLET)

    functions = GatewayClient(fake_gateway.url).list_functions()

    assert [(f["name"], f["labels"]["dfaas.maxrate"]) for f in functions] == [("figlet", "100")]


def test_get_function_of_unknown_name_is_none(fake_gateway: FakeOpenFaaSGateway) -> None:
    assert GatewayClient(fake_gateway.url).get_function("ghost") is None


def test_deploy_posts_the_deployment_as_json(fake_gateway: FakeOpenFaaSGateway) -> None:
    GatewayClient(fake_gateway.url).deploy(FIGLET)

    (write,) = fake_gateway.writes()
    assert (write["method"], write["path"], json.loads(write["body"])) == (
        "POST",
        "/system/functions",
        FIGLET,
    )


def test_update_puts_the_deployment(fake_gateway: FakeOpenFaaSGateway) -> None:
    fake_gateway.add(FIGLET)

    GatewayClient(fake_gateway.url).update({**FIGLET, "image": "figlet:2"})

    assert fake_gateway.functions["figlet"]["image"] == "figlet:2"


def test_delete_sends_function_name_and_namespace(fake_gateway: FakeOpenFaaSGateway) -> None:
    fake_gateway.add(FIGLET)

    GatewayClient(fake_gateway.url).delete("figlet", namespace="openfaas-fn")

    (write,) = fake_gateway.writes()
    assert write["query"] == {"namespace": "openfaas-fn"}
    assert json.loads(write["body"]) == {"functionName": "figlet"}


def test_refused_write_names_method_url_status_and_gateway_text(
    fake_gateway: FakeOpenFaaSGateway,
) -> None:
    with pytest.raises(GatewayError) as caught:
        GatewayClient(fake_gateway.url).delete("ghost")

    assert str(caught.value) == (
        f"DELETE {fake_gateway.url}/system/functions failed: HTTP 404: function not found"
    )
    assert caught.value.status == 404


def test_basic_auth_credentials_are_sent() -> None:
    fake = FakeOpenFaaSGateway(username="admin", password="s3cret").start()
    try:
        functions = GatewayClient(fake.url, username="admin", password="s3cret").list_functions()
    finally:
        fake.stop()

    assert functions == []


def test_wrong_credentials_fail_with_http_401() -> None:
    fake = FakeOpenFaaSGateway(username="admin", password="s3cret").start()
    try:
        with pytest.raises(GatewayError, match="HTTP 401"):
            GatewayClient(fake.url, username="admin", password="wrong").list_functions()
    finally:
        fake.stop()


def test_slow_gateway_times_out_with_url_named(fake_gateway: FakeOpenFaaSGateway) -> None:
    fake_gateway.delay = 1.0

    with pytest.raises(GatewayError, match=r"timed out after 0\.2 s") as caught:
        GatewayClient(fake_gateway.url, timeout=0.2).list_functions()

    assert f"GET {fake_gateway.url}/system/functions" in str(caught.value)


def test_gateway_url_without_scheme_is_rejected() -> None:
    with pytest.raises(GatewayError, match="must look like http://HOST:PORT"):
        GatewayClient("gateway:8080")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://gw:21/"])
def test_gateway_url_of_another_scheme_is_rejected(url: str) -> None:
    with pytest.raises(GatewayError, match=r"must look like http://HOST:PORT \(http or https\)"):
        GatewayClient(url)


@pytest.mark.parametrize("timeout", [0.0, -1.0])
def test_gateway_timeout_not_above_0_is_rejected(timeout: float) -> None:
    with pytest.raises(GatewayError, match="timeout must be above 0 seconds"):
        GatewayClient("http://127.0.0.1:8080", timeout=timeout)
