# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad openfaas variables stop the play in its preflight, naming the variable."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        (
            {"dfaas_openfaas_gateway_image": "ghcr.io/openfaas/gateway:latest"},
            "dfaas_openfaas_gateway_image",
        ),
        (
            {"dfaas_openfaas_faas_netes_image": "ghcr.io/openfaas/faas-netes"},
            "dfaas_openfaas_faas_netes_image",
        ),
        ({"dfaas_openfaas_gateway_node_port": 8080}, "dfaas_openfaas_gateway_node_port"),
        ({"dfaas_openfaas_metrics_node_port": 31112}, "dfaas_openfaas_metrics_node_port"),
        ({"dfaas_openfaas_upstream_timeout": "60"}, "the three timeouts Go durations"),
    ],
    ids=[
        "latest_tag",
        "no_tag",
        "port_outside_nodeport_range",
        "same_ports",
        "timeout_without_unit",
    ],
)
def test_bad_variable_stops_the_play_naming_it(run_role, variables, named):
    result = run_role("openfaas", "preflight", variables, check=True)
    assert result.returncode != 0
    assert named in result.stdout


def test_air_gap_folder_without_the_images_tarball_stops_the_play(run_role, tmp_path):
    result = run_role("openfaas", "preflight", {"dfaas_airgap_dir": str(tmp_path)}, check=True)
    assert result.returncode != 0
    assert "openfaas/images.tar" in result.stdout
