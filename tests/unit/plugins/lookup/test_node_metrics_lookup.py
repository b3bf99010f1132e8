# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import socket
from typing import Any, Callable

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dfaas.edge.plugins.module_utils.node_metrics import node_queries
from ansible_collections.dfaas.edge.tests.unit.plugins.module_utils.fake_servers import (
    FakePrometheus,
    vector,
)

Loader = Callable[[str], Any]


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_one_summary_per_endpoint_in_term_order(
    lookup: Loader, fake_prometheus: FakePrometheus
) -> None:
    fake_prometheus.answers[node_queries("1m")["cpu_usage"]] = (200, vector(({}, "0.5")))
    other = FakePrometheus().start()
    try:
        summaries = lookup("node_metrics").run([fake_prometheus.url, other.url], variables={})
    finally:
        other.stop()

    assert [(s["endpoint"], s["cpu_usage"]) for s in summaries] == [
        (fake_prometheus.url, 0.5),
        (other.url, None),
    ]


def test_a_list_of_endpoints_as_one_term_is_accepted(
    lookup: Loader, fake_prometheus: FakePrometheus
) -> None:
    summaries = lookup("node_metrics").run(
        [[fake_prometheus.url, fake_prometheus.url]], variables={}
    )

    assert [s["endpoint"] for s in summaries] == [fake_prometheus.url, fake_prometheus.url]


def test_without_terms_the_url_option_is_summarised(
    lookup: Loader, fake_prometheus: FakePrometheus
) -> None:
    summaries = lookup("node_metrics").run(
        [], variables={"dfaas_prometheus_url": fake_prometheus.url}
    )

    assert [s["endpoint"] for s in summaries] == [fake_prometheus.url]


def test_window_option_is_used_in_queries(lookup: Loader, fake_prometheus: FakePrometheus) -> None:
    lookup("node_metrics").run([fake_prometheus.url], variables={}, window="15s")

    assert node_queries("15s")["cpu_usage"] in fake_prometheus.queries()


def test_unreachable_node_fails_the_lookup_by_default(lookup: Loader) -> None:
    url = _closed_port_url()

    with pytest.raises(AnsibleLookupError, match=url):
        lookup("node_metrics").run([url], variables={}, timeout=2)


def test_unreachable_node_is_reported_with_errors_report(
    lookup: Loader, fake_prometheus: FakePrometheus
) -> None:
    url = _closed_port_url()

    summaries = lookup("node_metrics").run(
        [fake_prometheus.url, url], variables={}, errors="report", timeout=2
    )

    assert "error" not in summaries[0]
    assert summaries[1]["cpu_usage"] is None
    assert url in summaries[1]["error"]


def test_bad_window_is_a_lookup_error(lookup: Loader, fake_prometheus: FakePrometheus) -> None:
    with pytest.raises(AnsibleLookupError, match="not a PromQL duration"):
        lookup("node_metrics").run([fake_prometheus.url], variables={}, window="soon")
