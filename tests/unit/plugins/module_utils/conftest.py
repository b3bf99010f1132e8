# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    fake_gateway,
    fake_haproxy,
    fake_prometheus,
)

# Fixtures that pytest finds here; listed so that linters see them as used.
__all__ = ["fake_gateway", "fake_haproxy", "fake_prometheus"]
