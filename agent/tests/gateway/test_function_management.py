"""The OpenFaaS /system API: list, inspect, deploy, update, remove; bad requests named."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import GatewayProcess

pytestmark = pytest.mark.component


def test_list_shows_preloaded_functions_with_openfaas_fields(
    shared_gateway: GatewayProcess,
) -> None:
    with shared_gateway.client() as client:
        functions = {entry["name"]: entry for entry in client.get("/system/functions").json()}
    assert {"figlet", "shasum", "nodeinfo", "cpuburn", "sleep"} <= set(functions)
    assert functions["figlet"]["image"] == "figlet"
    assert functions["figlet"]["replicas"] == 1
    assert functions["figlet"]["availableReplicas"] == 1
    assert isinstance(functions["figlet"]["invocationCount"], int)


def test_deployed_function_is_invocable_and_keeps_labels_as_given(
    shared_gateway: GatewayProcess,
) -> None:
    labels = {"dfaas.maxrate": "100", "dfaas.timeout_ms": "6000", "team": "edge"}
    deployed = shared_gateway.deploy("banner", "ghcr.io/openfaas/figlet:latest", labels=labels)
    with shared_gateway.client() as client:
        described = client.get("/system/function/banner").json()
        invoked = client.post("/function/banner", content=b"hi")
    assert deployed.status_code == 202
    assert described["labels"] == labels
    assert described["image"] == "ghcr.io/openfaas/figlet:latest"
    assert invoked.status_code == 200


def test_store_shasum_deployment_runs_the_shasum_builtin(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        deployed = client.post(
            "/system/functions",
            json={
                "service": "store-shasum",
                "image": "functions/alpine:latest",
                "envProcess": "sha512sum",
            },
        )
        invoked = client.post("/function/store-shasum", content=b"")
    assert deployed.status_code == 202
    assert invoked.text.startswith("cf83e1357eefb8bdf1542850d66d8007")


def test_update_replaces_the_labels_of_a_deployed_function(
    shared_gateway: GatewayProcess,
) -> None:
    shared_gateway.deploy("relabelled", "shasum", labels={"dfaas.maxrate": "10"})
    updated = shared_gateway.deploy(
        "relabelled", "shasum", labels={"dfaas.maxrate": "20"}, method="PUT"
    )
    with shared_gateway.client() as client:
        described = client.get("/system/function/relabelled").json()
    assert updated.status_code == 202
    assert described["labels"] == {"dfaas.maxrate": "20"}


def test_update_of_a_function_not_deployed_gets_404(shared_gateway: GatewayProcess) -> None:
    response = shared_gateway.deploy("never-deployed", "shasum", method="PUT")
    assert response.status_code == 404


def test_second_deploy_of_the_same_name_gets_409(shared_gateway: GatewayProcess) -> None:
    first = shared_gateway.deploy("twice", "sleep")
    second = shared_gateway.deploy("twice", "sleep")
    assert first.status_code == 202
    assert second.status_code == 409
    assert "PUT" in second.text


def test_removed_function_is_no_longer_listed_or_served(shared_gateway: GatewayProcess) -> None:
    shared_gateway.deploy("short-lived", "nodeinfo")
    with shared_gateway.client() as client:
        removed = client.request(
            "DELETE", "/system/functions", json={"functionName": "short-lived"}
        )
        names = [entry["name"] for entry in client.get("/system/functions").json()]
        invoked = client.get("/function/short-lived")
    assert removed.status_code == 202
    assert "short-lived" not in names
    assert invoked.status_code == 404


def test_unknown_function_gets_404_from_the_named_node(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        invoked = client.post("/function/no-such-function", content=b"x")
        described = client.get("/system/function/no-such-function")
    assert invoked.status_code == 404
    assert invoked.headers["X-Served-By"] == shared_gateway.node_name
    assert described.status_code == 404


def test_deploy_of_an_image_that_is_no_builtin_gets_400_listing_builtins(
    shared_gateway: GatewayProcess,
) -> None:
    response = shared_gateway.deploy("web", "docker.io/library/nginx:1.27")
    assert response.status_code == 400
    assert "nginx" in response.text
    assert "figlet" in response.text


def test_deploy_payload_with_bad_fields_gets_400_naming_them(
    shared_gateway: GatewayProcess,
) -> None:
    with shared_gateway.client() as client:
        response = client.post("/system/functions", json={"service": "Not_A_Name"})
    assert response.status_code == 400
    assert "service:" in response.text
    assert "image: Field required" in response.text


def test_deploy_payload_that_is_not_json_gets_400(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        response = client.post("/system/functions", content=b"{not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.text


def test_non_integer_maxrate_label_gets_400(shared_gateway: GatewayProcess) -> None:
    response = shared_gateway.deploy("badrate", "figlet", labels={"dfaas.maxrate": "fast"})
    assert response.status_code == 400
    assert "dfaas.maxrate" in response.text


def test_remove_without_function_name_gets_400(shared_gateway: GatewayProcess) -> None:
    with shared_gateway.client() as client:
        response = client.request("DELETE", "/system/functions", json={"name": "figlet"})
    assert response.status_code == 400
    assert "functionName" in response.text
