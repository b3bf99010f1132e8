# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of tests/unit/k8s (a unique module name: several test
folders have their own conftest.py)."""

from __future__ import annotations

import yaml

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import COLLECTION_ROOT


def role_default(role, name):
    """A plain default of a role, read from its defaults/main.yml."""
    defaults = COLLECTION_ROOT / "roles" / role / "defaults" / "main.yml"
    return yaml.safe_load(defaults.read_text())[name]
