# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from ansible.plugins.loader import init_plugin_loader, lookup_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    fake_prometheus,
)

# Fixtures that pytest finds here; listed so that linters see them as used.
__all__ = ["fake_prometheus"]

# .../ansible_collections/dfaas/edge/tests/unit/plugins/lookup/conftest.py -> the collections root
COLLECTIONS_ROOT = Path(__file__).resolve().parents[7]


@pytest.fixture(scope="session")
def lookup() -> Callable[[str], Any]:
    """Load a lookup of this collection the way ansible does, with its documented options."""
    if AnsibleCollectionConfig.collection_finder is None:
        # Earlier imports loaded the collection as a plain namespace package, which the
        # collection loader refuses ("metadata was not loaded"). Forget only the three
        # package entries so that it re-imports them; loaded submodules stay shared.
        for package in (
            "ansible_collections",
            "ansible_collections.dfaas",
            "ansible_collections.dfaas.edge",
        ):
            sys.modules.pop(package, None)
        init_plugin_loader([str(COLLECTIONS_ROOT)])

    def load(name: str) -> Any:
        plugin = lookup_loader.get(f"dfaas.edge.{name}")
        assert plugin is not None, f"lookup dfaas.edge.{name} not found under {COLLECTIONS_ROOT}"
        return plugin

    return load
