# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from typing import Any, Callable

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakePrometheus,
    vector,
)

Loader = Callable[[str], Any]


def test_samples_of_every_term_are_returned_in_order(
    lookup: Loader, fake_prometheus: FakePrometheus
) -> None:
    fake_prometheus.answers["a"] = (200, vector(({"n": "1"}, "1")))
    fake_prometheus.answers["b"] = (200, vector(({"n": "2"}, "2"), ({"n": "3"}, "3")))

    samples = lookup("prometheus").run(["a", "b"], variables={}, url=fake_prometheus.url)

    assert [s["value"] for s in samples] == [1.0, 2.0, 3.0]


def test_url_comes_from_inventory_variable(lookup: Loader, fake_prometheus: FakePrometheus) -> None:
    lookup("prometheus").run(["up"], variables={"dfaas_prometheus_url": fake_prometheus.url})

    assert fake_prometheus.queries() == ["up"]


def test_url_comes_from_environment(
    lookup: Loader, fake_prometheus: FakePrometheus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DFAAS_PROMETHEUS_URL", fake_prometheus.url)

    lookup("prometheus").run(["up"], variables={})

    assert fake_prometheus.queries() == ["up"]


def test_evaluation_time_option_is_sent(lookup: Loader, fake_prometheus: FakePrometheus) -> None:
    lookup("prometheus").run(["up"], variables={}, url=fake_prometheus.url, time=1700000000)

    assert fake_prometheus.requests[0]["form"]["time"] == "1700000000.0"


def test_query_error_becomes_lookup_error_naming_query(
    lookup: Loader, fake_prometheus: FakePrometheus
) -> None:
    fake_prometheus.answers["up{"] = (
        400,
        {"status": "error", "errorType": "bad_data", "error": "parse error"},
    )

    with pytest.raises(AnsibleLookupError, match=r"'up\{'.*bad_data: parse error"):
        lookup("prometheus").run(["up{"], variables={}, url=fake_prometheus.url)
