# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of every playbook test under tests/unit (see playbook_harness.py)."""

from __future__ import annotations

import pytest

from ansible_collections.dfaas.edge.tests.unit.playbook_harness import make_collections_path


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """A collections folder in which dfaas.edge is this checkout."""
    return make_collections_path(tmp_path_factory.mktemp("collections"))
