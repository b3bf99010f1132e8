# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Facts of a node's k3s read through the Kubernetes API: its nodes (Ready condition,
kubelet version, allocatable resources) and the pods of one namespace.

The ``kubernetes`` Python library is optional: a module that needs it checks
``KUBERNETES_IMPORT_ERROR`` and fails with ``missing_required_lib``. ``k3s_facts`` only
reads attributes of the objects that a ``CoreV1Api`` returns, so tests can hand it a fake.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

try:
    import urllib3
    from kubernetes import client as kube_client
    from kubernetes import config as kube_config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
except ImportError:
    KUBERNETES_IMPORT_ERROR: str | None = traceback.format_exc()
    KUBERNETES_ERRORS: tuple[type[Exception], ...] = ()
else:
    KUBERNETES_IMPORT_ERROR = None
    KUBERNETES_ERRORS = (ApiException, ConfigException, urllib3.exceptions.HTTPError, OSError)

# Kubernetes quantity suffixes (decimal SI and binary), as in "1500m" CPU or "8028148Ki".
_QUANTITY = re.compile(r"^([0-9.]+(?:[eE][-+]?[0-9]+)?)([a-zA-Z]*)$")
_QUANTITY_SUFFIXES = {
    **{"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12},
    **{"P": 1e15, "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40},
    **{"Pi": 2.0**50, "Ei": 2.0**60},
}


def parse_quantity(text: str | None) -> float | None:
    """A Kubernetes quantity as a number; None when absent or not understood."""
    match = _QUANTITY.match((text or "").strip())
    if match is None or match.group(2) not in _QUANTITY_SUFFIXES:
        return None
    return float(match.group(1)) * _QUANTITY_SUFFIXES[match.group(2)]


def kubernetes_core_api(kubeconfig: str, context: str | None) -> Any:
    """CoreV1Api of the k3s that ``kubeconfig`` points to (the edge that tests fake)."""
    api_client = kube_config.new_client_from_config(config_file=kubeconfig, context=context)
    return kube_client.CoreV1Api(api_client)


def node_facts(node: Any) -> dict[str, Any]:
    """Name, readiness, kubelet version and allocatable resources of a V1Node."""
    ready = next((c for c in node.status.conditions or () if c.type == "Ready"), None)
    allocatable = node.status.allocatable or {}
    memory = parse_quantity(allocatable.get("memory"))
    pods = parse_quantity(allocatable.get("pods"))
    return {
        "name": node.metadata.name,
        "ready": ready is not None and ready.status == "True",
        "ready_message": ready.message if ready is not None else "no Ready condition",
        "kubelet_version": node.status.node_info.kubelet_version,
        "allocatable": {
            "cpu": parse_quantity(allocatable.get("cpu")),
            "memory_bytes": int(memory) if memory is not None else None,
            "pods": int(pods) if pods is not None else None,
        },
    }


def pod_facts(pod: Any) -> dict[str, Any]:
    """Name, phase, node, readiness of all containers and restarts of a V1Pod."""
    containers = pod.status.container_statuses or []
    return {
        "name": pod.metadata.name,
        "phase": pod.status.phase,
        "node": pod.spec.node_name,
        "ready": bool(containers) and all(c.ready for c in containers),
        "restarts": sum(c.restart_count or 0 for c in containers),
    }


def k3s_facts(core_api: Any, namespace: str) -> dict[str, Any]:
    """The k3s nodes and the pods of ``namespace``, read through ``core_api`` (CoreV1Api)."""
    return {
        "nodes": [node_facts(node) for node in core_api.list_node().items],
        "pods": [pod_facts(pod) for pod in core_api.list_namespaced_pod(namespace).items],
        "namespace": namespace,
    }
