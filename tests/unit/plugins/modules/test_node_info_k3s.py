# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""node_info's k3s facts. k3s cannot run here, so the Kubernetes API is faked at the
client's edge: ``FakeCoreV1Api`` returns objects with the attribute names of the
``kubernetes`` client's V1Node and V1Pod models."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from ansible_collections.dfaas.edge.plugins.module_utils.kubernetes_facts import parse_quantity
from ansible_collections.dfaas.edge.plugins.modules import node_info
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakePrometheus,
)

Runner = Callable[..., dict[str, Any]]


def fake_node(name: str, ready: str, allocatable: dict[str, str]) -> SimpleNamespace:
    condition = SimpleNamespace(type="Ready", status=ready, message=f"kubelet ready={ready}")
    pressure = SimpleNamespace(type="MemoryPressure", status="False", message="enough memory")
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name),
        status=SimpleNamespace(
            conditions=[pressure, condition],
            allocatable=allocatable,
            node_info=SimpleNamespace(kubelet_version="v1.31.4+k3s1"),
        ),
    )


def fake_pod(name: str, phase: str, ready: list[bool], restarts: int = 0) -> SimpleNamespace:
    statuses = [SimpleNamespace(ready=flag, restart_count=restarts) for flag in ready]
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name),
        spec=SimpleNamespace(node_name="edge-1"),
        status=SimpleNamespace(phase=phase, container_statuses=statuses or None),
    )


class FakeCoreV1Api:
    """Stands in for ``kubernetes.client.CoreV1Api`` of a one-node k3s."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.namespaces: list[str] = []
        self.opened: list[tuple[str, str | None]] = []  # (kubeconfig, context) per client
        self.nodes = [fake_node("edge-1", "True", {"cpu": "1500m", "memory": "8Ki", "pods": "110"})]
        self.pods = [
            fake_pod("figlet-1", "Running", [True], restarts=2),
            fake_pod("shasum-1", "Pending", []),
        ]

    def list_node(self) -> SimpleNamespace:
        if self.error is not None:
            raise self.error
        return SimpleNamespace(items=self.nodes)

    def list_namespaced_pod(self, namespace: str) -> SimpleNamespace:
        self.namespaces.append(namespace)
        return SimpleNamespace(items=self.pods)


class FakeApiException(Exception):
    """Stands in for ``kubernetes.client.exceptions.ApiException``."""


@pytest.fixture
def fake_kubernetes(monkeypatch: pytest.MonkeyPatch) -> FakeCoreV1Api:
    api = FakeCoreV1Api()

    def open_api(kubeconfig: str, context: str | None) -> FakeCoreV1Api:
        api.opened.append((kubeconfig, context))
        return api

    monkeypatch.setattr(node_info, "KUBERNETES_IMPORT_ERROR", None)
    monkeypatch.setattr(node_info, "KUBERNETES_ERRORS", (FakeApiException,))
    monkeypatch.setattr(node_info, "kubernetes_core_api", open_api)
    return api


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    """A kubeconfig file that exists (node_info checks that); the faked client never reads it."""
    path = tmp_path / "k3s.yaml"
    path.write_text("apiVersion: v1\nkind: Config\n")
    return str(path)


@pytest.mark.parametrize(
    ("quantity", "value"),
    [("2", 2.0), ("1500m", 1.5), ("8Ki", 8192.0), ("1G", 1e9), ("1e3", 1000.0), (None, None)],
)
def test_kubernetes_quantities_become_numbers(quantity: str | None, value: float | None) -> None:
    assert parse_quantity(quantity) == value


def test_an_unknown_quantity_suffix_is_none() -> None:
    assert parse_quantity("3Zi") is None


def test_k3s_node_facts_come_from_the_kubernetes_api(
    run_module: Runner,
    fake_prometheus: FakePrometheus,
    fake_kubernetes: FakeCoreV1Api,
    kubeconfig: str,
) -> None:
    result = run_module(
        node_info.main, {"prometheus_url": fake_prometheus.url, "kubeconfig": kubeconfig}
    )

    assert result["k3s"]["nodes"] == [
        {
            "name": "edge-1",
            "ready": True,
            "ready_message": "kubelet ready=True",
            "kubelet_version": "v1.31.4+k3s1",
            "allocatable": {"cpu": 1.5, "memory_bytes": 8192, "pods": 110},
        }
    ]


def test_a_node_whose_ready_condition_is_false_is_not_ready(
    run_module: Runner,
    fake_prometheus: FakePrometheus,
    fake_kubernetes: FakeCoreV1Api,
    kubeconfig: str,
) -> None:
    fake_kubernetes.nodes = [fake_node("edge-1", "False", {})]

    result = run_module(
        node_info.main, {"prometheus_url": fake_prometheus.url, "kubeconfig": kubeconfig}
    )

    (node,) = result["k3s"]["nodes"]
    assert (node["ready"], node["allocatable"]["cpu"]) == (False, None)


def test_pods_of_the_openfaas_namespace_are_listed(
    run_module: Runner,
    fake_prometheus: FakePrometheus,
    fake_kubernetes: FakeCoreV1Api,
    kubeconfig: str,
) -> None:
    result = run_module(
        node_info.main,
        {
            "prometheus_url": fake_prometheus.url,
            "kubeconfig": kubeconfig,
            "kube_context": "edge",
            "openfaas_namespace": "fn",
        },
    )

    assert fake_kubernetes.opened == [(kubeconfig, "edge")]
    assert fake_kubernetes.namespaces == ["fn"]
    assert result["k3s"]["namespace"] == "fn"
    assert [(p["name"], p["phase"], p["ready"], p["restarts"]) for p in result["k3s"]["pods"]] == [
        ("figlet-1", "Running", True, 2),
        ("shasum-1", "Pending", False, 0),
    ]


def test_kubernetes_is_not_asked_without_kubeconfig(
    run_module: Runner, fake_prometheus: FakePrometheus, fake_kubernetes: FakeCoreV1Api
) -> None:
    result = run_module(node_info.main, {"prometheus_url": fake_prometheus.url})

    assert "k3s" not in result
    assert fake_kubernetes.opened == []


def test_a_kubernetes_api_error_fails_naming_the_kubeconfig(
    run_module: Runner,
    fake_prometheus: FakePrometheus,
    fake_kubernetes: FakeCoreV1Api,
    kubeconfig: str,
) -> None:
    fake_kubernetes.error = FakeApiException("(403) Forbidden")

    result = run_module(
        node_info.main, {"prometheus_url": fake_prometheus.url, "kubeconfig": kubeconfig}
    )

    assert result["failed"] is True
    assert result["msg"] == f"Kubernetes API of {kubeconfig} failed: (403) Forbidden"


def test_kubeconfig_without_the_kubernetes_library_fails_naming_it(
    run_module: Runner,
    fake_prometheus: FakePrometheus,
    monkeypatch: pytest.MonkeyPatch,
    kubeconfig: str,
) -> None:
    monkeypatch.setattr(node_info, "KUBERNETES_IMPORT_ERROR", "ImportError: kubernetes")

    result = run_module(
        node_info.main, {"prometheus_url": fake_prometheus.url, "kubeconfig": kubeconfig}
    )

    assert result["failed"] is True
    assert "Failed to import the required Python library (kubernetes)" in result["msg"]
    assert fake_prometheus.requests == []
