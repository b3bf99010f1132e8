# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The functions role reads the gateway password where the provider's role keeps it."""

from __future__ import annotations

from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"


def _yaml(path):
    return yaml.safe_load((ROLES / path).read_text())


def test_functions_role_reads_the_local_runtimes_password_file():
    files = _yaml("functions/vars/main.yml")["dfaas_functions_password_files"]
    gateway = _yaml("gateway/defaults/main.yml")
    assert files["local"] == gateway["dfaas_gateway_basic_auth_password_file"]


def test_functions_role_reads_the_openfaas_password_file():
    files = _yaml("functions/vars/main.yml")["dfaas_functions_password_files"]
    state_dir = _yaml("openfaas/defaults/main.yml")["dfaas_openfaas_state_dir"]
    password_file = _yaml("openfaas/vars/main.yml")["dfaas_openfaas_password_file"]
    assert password_file == "{{ dfaas_openfaas_state_dir }}/basic-auth-password"
    assert files["openfaas"] == state_dir + "/basic-auth-password"


def test_both_providers_use_the_user_the_functions_role_sends():
    functions = _yaml("functions/defaults/main.yml")
    assert functions["dfaas_functions_gateway_username"] == "admin"
    assert _yaml("gateway/defaults/main.yml")["dfaas_gateway_basic_auth_user"] == "admin"
    assert _yaml("openfaas/defaults/main.yml")["dfaas_openfaas_admin_user"] == "admin"
