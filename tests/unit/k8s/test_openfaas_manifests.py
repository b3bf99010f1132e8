# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openfaas role's Kubernetes objects, rendered by the role itself and
validated offline with kubernetes-validate --strict for the Kubernetes version
of the pinned k3s release (no API server can run here)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from k8s_helpers import role_default

K3S_VERSION = role_default("k3s", "dfaas_k3s_version")
KUBERNETES_VERSION = re.match(r"^v(\d+\.\d+\.\d+)\+k3s\d+$", K3S_VERSION).group(1)


RENDERED: dict[str, tuple[Path, list[dict]]] = {}


def render(run_role, tmp_path, **variables):
    """The role's objects for these variables (rendered once per variant: a play takes seconds)."""
    key = repr(sorted(variables.items()))
    if key not in RENDERED:
        state_dir = tmp_path / "state"
        state_dir.mkdir()
        variables = {"dfaas_openfaas_state_dir": str(state_dir), **variables}
        result = run_role("openfaas", "render", variables)
        assert result.returncode == 0, result.stdout + result.stderr
        manifest = state_dir / "openfaas.yaml"
        RENDERED[key] = manifest, [doc for doc in yaml.safe_load_all(manifest.read_text()) if doc]
    manifest, objects = RENDERED[key]
    return manifest, copy.deepcopy(objects)


def render_objects(run_role, tmp_path, **variables):
    return render(run_role, tmp_path, **variables)[1]


def by_kind_and_name(objects):
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


def gateway_containers(objects):
    deployment = by_kind_and_name(objects)[("Deployment", "gateway")]
    return {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}


def env_of(container):
    return {item["name"]: item.get("value") for item in container["env"]}


@pytest.mark.parametrize("basic_auth", [True, False], ids=["basic_auth", "no_basic_auth"])
def test_every_rendered_object_passes_strict_validation_for_the_pinned_kubernetes(
    run_role, tmp_path, basic_auth
):
    objects = render_objects(run_role, tmp_path, dfaas_openfaas_basic_auth=basic_auth)
    assert len(objects) >= 10
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_rendered_file_passes_the_kubernetes_validate_command_in_strict_mode(run_role, tmp_path):
    manifest = render(run_role, tmp_path)[0]
    command = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent))
    assert command, "kubernetes-validate missing next to %s (requirements/k8s.txt)" % sys.executable
    result = subprocess.run(
        [command, "--strict", "-k", KUBERNETES_VERSION, str(manifest)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelt_field_fails_strict_validation(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path)
    service = by_kind_and_name(objects)[("Service", "gateway-external")]
    service["spec"]["nodeport"] = 31112
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, KUBERNETES_VERSION, strict=True)


def test_gateway_is_exposed_on_the_configured_node_port(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path, dfaas_openfaas_gateway_node_port=31999)
    service = by_kind_and_name(objects)[("Service", "gateway-external")]
    assert service["spec"]["type"] == "NodePort"
    assert [port["nodePort"] for port in service["spec"]["ports"]] == [31999]


def test_default_gateway_node_port_is_the_local_runtime_port(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path)
    service = by_kind_and_name(objects)[("Service", "gateway-external")]
    assert [port["nodePort"] for port in service["spec"]["ports"]] == [31112]


def test_core_images_are_the_pinned_defaults(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path)
    images = {name: c["image"] for name, c in gateway_containers(objects).items()}
    assert images == {
        "gateway": role_default("openfaas", "dfaas_openfaas_gateway_image"),
        "faas-netes": role_default("openfaas", "dfaas_openfaas_faas_netes_image"),
    }
    assert not any(image.endswith(":latest") for image in images.values())


def test_gateway_has_no_asynchronous_queue(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path)
    gateway_env = env_of(gateway_containers(objects)["gateway"])
    assert not [name for name in gateway_env if name.startswith("faas_nats")]
    assert not [obj for obj in objects if "nats" in obj["metadata"]["name"]]


def test_basic_auth_mounts_the_credentials_secret_in_both_containers(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path, dfaas_openfaas_basic_auth=True)
    for container in gateway_containers(objects).values():
        assert env_of(container)["basic_auth"] == "true"
        assert "/var/secrets" in [mount["mountPath"] for mount in container["volumeMounts"]]


def test_without_basic_auth_no_secret_is_mounted(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path, dfaas_openfaas_basic_auth=False)
    deployment = by_kind_and_name(objects)[("Deployment", "gateway")]
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert "basic-auth" not in [volume["name"] for volume in volumes]
    assert all("basic_auth" not in env_of(c) for c in gateway_containers(objects).values())


def test_password_never_appears_in_the_rendered_objects(run_role, tmp_path):
    manifest, objects = render(run_role, tmp_path)
    assert ("Secret", "basic-auth") not in by_kind_and_name(objects)
    assert "basic-auth-password" not in manifest.read_text()


def test_functions_run_in_their_own_namespace_which_the_provider_may_manage(run_role, tmp_path):
    objects = render_objects(run_role, tmp_path, dfaas_openfaas_function_namespace="dfaas-fn")
    named = by_kind_and_name(objects)
    assert ("Namespace", "dfaas-fn") in named
    assert named[("Role", "openfaas-controller")]["metadata"]["namespace"] == "dfaas-fn"
    assert env_of(gateway_containers(objects)["faas-netes"])["function_namespace"] == "dfaas-fn"
