# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role variable carries the `dfaas_<role>_` prefix (DESIGN.md, section 2).

This replaces ansible-lint's var-naming[no-role-prefix], which wants the bare
`<role>_` prefix, with the stricter, namespaced convention of this collection.

One exception, and only one: the internal role node_defaults owns the node-wide
ports and folders that every role and playbook shares; they are named for the node
(`dfaas_node_public_port`), not for the role that holds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(path for path in ROLES.iterdir() if path.is_dir()) if ROLES.is_dir() else []
NODE_WIDE = {"node_defaults": "dfaas_node_"}
"""Roles whose variables are node-wide, with the prefix they carry instead of their role's."""


def prefix_of(role: Path) -> str:
    return NODE_WIDE.get(role.name, "dfaas_%s_" % role.name)


def variables_defined_in(role: Path):
    for relative in ("defaults/main.yml", "vars/main.yml"):
        path = role / relative
        if path.is_file():
            for name in yaml.safe_load(path.read_text()) or {}:
                yield relative, name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=[path.name for path in ROLE_DIRS])
def test_role_variables_carry_the_dfaas_role_prefix(role):
    prefix = prefix_of(role)
    wrong = [
        "%s: %s" % (where, name)
        for where, name in variables_defined_in(role)
        if not name.startswith(prefix)
    ]
    assert wrong == [], "variables without the %r prefix" % prefix


def test_there_are_roles_to_check():
    assert ROLE_DIRS, "no roles found under %s" % ROLES


@pytest.mark.parametrize("role", ROLE_DIRS, ids=[path.name for path in ROLE_DIRS])
def test_only_node_defaults_defines_node_wide_variables(role):
    if role.name in NODE_WIDE:
        return
    taken = [
        "%s: %s" % (where, name)
        for where, name in variables_defined_in(role)
        if any(name.startswith(prefix) for prefix in NODE_WIDE.values())
    ]
    assert taken == [], "node-wide variables outside node_defaults"
