# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    fake_gateway,
    fake_haproxy,
    fake_prometheus,
)

# Fixtures that pytest finds here; listed so that linters see them as used.
__all__ = ["fake_gateway", "fake_haproxy", "fake_prometheus"]

ModuleRunner = Callable[..., dict[str, Any]]


@pytest.fixture
def run_module(capsys: pytest.CaptureFixture[str]) -> ModuleRunner:
    """Run a module's ``main`` with arguments; return its JSON result (``failed`` on failure)."""

    def run(
        main: Callable[[], None], args: dict[str, Any], check: bool = False, diff: bool = False
    ) -> dict[str, Any]:
        args = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
        with patch_module_args(args), pytest.raises(SystemExit):
            main()
        result: dict[str, Any] = json.loads(capsys.readouterr().out)
        return result

    return run
