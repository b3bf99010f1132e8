# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k3s role's logic that needs no real k3s: config.yaml as data, the
recorded version/configuration hash that decides when the installer runs, and
the preflight checks.

k3s cannot be downloaded or run here. The installer is replaced by a STAND-IN
shell script (`k3s-installer-stand-in.sh`) that only records its environment;
no k3s binary is involved, and no systemd unit exists on this host, so the
role skips the service and Ready wait exactly as on a node without k3s yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from k8s_helpers import role_default

STAND_IN_INSTALLER = """#!/bin/sh
# STAND-IN for the official k3s installer (tests only): records how it was called.
echo "$INSTALL_K3S_VERSION skip_download=$INSTALL_K3S_SKIP_DOWNLOAD" \\
  "skip_start=$INSTALL_K3S_SKIP_START" >> "$0.calls"
"""


def make_node(tmp_path):
    """Paths of a pretend node under tmp_path, with the stand-in installer."""
    installer = tmp_path / "k3s-installer-stand-in.sh"
    installer.write_text(STAND_IN_INSTALLER)
    installer.chmod(0o755)
    return {
        "dfaas_k3s_installer_path": str(installer),
        "dfaas_k3s_config_file": str(tmp_path / "rancher" / "config.yaml"),
        "dfaas_k3s_state_file": str(tmp_path / "state" / "dfaas-install.json"),
        "dfaas_k3s_node_name": "edge-1",
    }


@pytest.fixture
def node(tmp_path):
    return make_node(tmp_path)


@pytest.fixture(scope="module")
def converged_node(run_role, tmp_path_factory):
    """One node converged once with the defaults (several tests read it)."""
    node = make_node(tmp_path_factory.mktemp("node"))
    converge(run_role, node)
    return node


def installer_calls(node):
    calls = node["dfaas_k3s_installer_path"] + ".calls"
    try:
        with open(calls) as lines:
            return lines.read().splitlines()
    except FileNotFoundError:
        return []


def converge(run_role, node, **variables):
    result = run_role("k3s", ["configure", "run"], {**node, **variables})
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def changed_count(result):
    return int(re.search(r"changed=(\d+)", result.stdout).group(1))


def test_config_yaml_disables_traefik_and_names_the_node(converged_node):
    node = converged_node
    config = yaml.safe_load(Path(node["dfaas_k3s_config_file"]).read_text())
    assert config["disable"] == ["traefik"]
    assert config["node-name"] == "edge-1"
    assert config["write-kubeconfig-mode"] == "0600"


def test_extra_config_is_merged_over_the_role_options(run_role, node):
    extra = {"write-kubeconfig-mode": "0640", "node-ip": "10.0.0.5"}
    converge(run_role, node, dfaas_k3s_extra_config=extra)
    config = yaml.safe_load(Path(node["dfaas_k3s_config_file"]).read_text())
    assert config["write-kubeconfig-mode"] == "0640"
    assert config["node-ip"] == "10.0.0.5"
    assert config["disable"] == ["traefik"]


def test_first_run_calls_the_installer_without_download_or_start(converged_node):
    version = role_default("k3s", "dfaas_k3s_version")
    assert installer_calls(converged_node) == ["%s skip_download=true skip_start=true" % version]


def test_first_run_records_the_version_and_config_hash(converged_node):
    node = converged_node
    version = role_default("k3s", "dfaas_k3s_version")
    recorded = json.loads(Path(node["dfaas_k3s_state_file"]).read_text())
    assert recorded["version"] == version
    assert re.fullmatch(r"[0-9a-f]{64}", recorded["config_sha256"])


def test_second_run_with_the_same_version_and_config_changes_nothing(run_role, converged_node):
    node = converged_node
    second = converge(run_role, node)
    assert len(installer_calls(node)) == 1
    assert changed_count(second) == 0


def test_a_version_bump_runs_the_installer_again(run_role, node):
    converge(run_role, node)
    converge(run_role, node, dfaas_k3s_version="v1.33.1+k3s1")
    assert installer_calls(node)[-1].startswith("v1.33.1+k3s1 ")
    assert json.loads(Path(node["dfaas_k3s_state_file"]).read_text())["version"] == "v1.33.1+k3s1"


def test_a_config_change_runs_the_installer_again(run_role, node):
    converge(run_role, node)
    converge(run_role, node, dfaas_k3s_extra_config={"node-ip": "10.0.0.5"})
    assert len(installer_calls(node)) == 2


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"dfaas_k3s_version": "1.32.3"}, "dfaas_k3s_version"),
        ({"dfaas_k3s_disable": ["servicelb"]}, "dfaas_k3s_disable"),
        ({"dfaas_k3s_installer_checksum": "md5:abc"}, "dfaas_k3s_installer_checksum"),
        ({"dfaas_k3s_kubeconfig_mode": "600"}, "dfaas_k3s_kubeconfig_mode"),
    ],
    ids=["version", "traefik_enabled", "checksum", "kubeconfig_mode"],
)
def test_bad_variable_stops_the_play_naming_it(run_role, variables, named):
    result = run_role("k3s", "preflight", variables, check=True)
    assert result.returncode != 0
    assert named in result.stdout


def test_air_gap_folder_without_the_k3s_files_stops_the_play(run_role, tmp_path):
    result = run_role("k3s", "preflight", {"dfaas_airgap_dir": str(tmp_path)}, check=True)
    assert result.returncode != 0
    assert "k3s/install.sh" in result.stdout or "must hold k3s/" in result.stdout


@pytest.mark.parametrize(
    "version",
    ["v1.34.1+k3s1", "v1.31.9+k3s1", "v1.32.1+k3s1"],
    ids=["skip_minor", "downgrade", "older_patch"],
)
def test_a_skipped_minor_version_or_a_downgrade_stops_before_the_installer(
    run_role, converged_node, version
):
    # The refused run stops before the installer and the record: the shared node stays as it was.
    node = converged_node
    result = run_role("k3s", ["configure", "run"], {**node, "dfaas_k3s_version": version})
    assert result.returncode != 0
    assert "dfaas_k3s_version %s cannot replace" % version in result.stdout
    assert len(installer_calls(node)) == 1


def test_air_gap_folder_with_the_expected_layout_passes_preflight(run_role, tmp_path):
    # STAND-IN files with the names the role expects; their content does not matter here.
    for name in ("k3s/k3s", "k3s/k3s-airgap-images-amd64.tar.zst", "k3s/install.sh"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("STAND-IN\n")
    (tmp_path / "wheelhouse" / "k8s-client").mkdir(parents=True)
    result = run_role("k3s", "preflight", {"dfaas_airgap_dir": str(tmp_path)}, check=True)
    assert result.returncode == 0, result.stdout
