"""The rendered configuration is accepted by the real `haproxy -c`, and bad input is refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.latency_log import LOG_FORMAT_SD
from dfaas_agent.haproxy.layout import (
    ConnectionLimits,
    FunctionSpec,
    LayoutError,
    Member,
    PeerTls,
    ProxyLayout,
    ProxyTuning,
)
from dfaas_agent.haproxy.render import ProxyFiles, render_config, render_maps
from dfaas_agent.haproxy.validation import ConfigRejectedError, check_config

from .conftest import FederationCA, run

# image-classification: a default function; upstream had to rename it (its identifiers
# broke on "-"), ours are escaped.
AWKWARD_NAMES = ("figlet", "fig", "my-fn", "my_fn", "my.fn", "A1", "image-classification", "x" * 63)


def files_in(directory: Path) -> ProxyFiles:
    return ProxyFiles(
        config_file=directory / "haproxy.cfg",
        state_dir=directory,
        stats_socket=directory / "stats.sock",
        master_socket=directory / "master.sock",
    )


def layout_with(
    federation_ca: FederationCA, members: int, functions: tuple[str, ...]
) -> ProxyLayout:
    own = federation_ca.issue("QmNodeA")
    return ProxyLayout(
        node_id="QmNodeA",
        node_name="node-a",
        gateway_host="127.0.0.1",
        gateway_port=8080,
        members=tuple(
            Member(peer_id=f"QmMember{i}", name=f"node_{i}", host=f"10.0.0.{i + 1}")
            for i in range(members)
        ),
        functions=tuple(FunctionSpec(name, timeout_ms=4500) for name in functions),
        tls=PeerTls(ca_file=federation_ca.ca_file, certificate_file=own.certificate_file),
    )


def write_and_check(layout: ProxyLayout, tuning: ProxyTuning, directory: Path) -> str:
    files = files_in(directory)
    config = render_config(layout, tuning, files)
    for map_file, text in render_maps(layout, tuning, files).items():
        map_file.write_text(text)
    files.config_file.write_text(config)
    run(check_config, files.config_file)
    return config


@pytest.mark.component
def test_config_without_members_or_functions_passes_haproxy_check(tmp_path: Path) -> None:
    layout = ProxyLayout("QmNodeA", "node-a", "127.0.0.1", 8080)
    config = write_and_check(layout, ProxyTuning(), tmp_path)
    assert "frontend peers" not in config


@pytest.mark.component
def test_config_with_one_member_and_function_passes_haproxy_check(
    tmp_path: Path, federation_ca: FederationCA
) -> None:
    layout = layout_with(federation_ca, members=1, functions=("figlet",))
    tuning = ProxyTuning(
        local_limits={"figlet": 10},
        weights={"figlet": {"QmMember0": 100}},
        admitted_rates={"figlet": {"QmMember0": 5}},
    )
    config = write_and_check(layout, tuning, tmp_path)
    assert "weight 100 track members/member_node_5f0" in config


@pytest.mark.component
def test_config_with_several_members_and_awkward_function_names_passes_haproxy_check(
    tmp_path: Path, federation_ca: FederationCA
) -> None:
    layout = layout_with(federation_ca, members=3, functions=AWKWARD_NAMES)
    config = write_and_check(layout, ProxyTuning(), tmp_path)
    for name in AWKWARD_NAMES:
        assert f"backend {identifiers.function_backend(name)}\n" in config


@pytest.mark.component
def test_invalid_directive_is_refused_with_haproxys_message(tmp_path: Path) -> None:
    layout = ProxyLayout("QmNodeA", "node-a", "127.0.0.1", 8080)
    files = files_in(tmp_path)
    for map_file, text in render_maps(layout, ProxyTuning(), files).items():
        map_file.write_text(text)
    files.config_file.write_text(
        render_config(layout, ProxyTuning(), files) + "    bogus-directive on\n"
    )
    with pytest.raises(ConfigRejectedError, match="bogus-directive"):
        run(check_config, files.config_file)


@pytest.mark.component
def test_config_with_the_latency_log_passes_haproxy_check(
    tmp_path: Path, federation_ca: FederationCA
) -> None:
    layout = dataclasses.replace(
        layout_with(federation_ca, members=2, functions=AWKWARD_NAMES), latency_log_port=8406
    )
    config = write_and_check(layout, ProxyTuning(), tmp_path)
    assert "    log 127.0.0.1:8406 len 1024 format rfc5424 local0 info\n" in config


def test_the_latency_log_adds_a_target_and_leaves_the_stdout_log_as_it_was(
    tmp_path: Path,
) -> None:
    without = ProxyLayout("QmNodeA", "node-a", "127.0.0.1", 8080, functions=(FunctionSpec("f"),))
    with_log = dataclasses.replace(without, latency_log_port=5514)

    plain = render_config(without, ProxyTuning(), files_in(tmp_path))
    logged = render_config(with_log, ProxyTuning(), files_in(tmp_path))

    added = [line.strip() for line in logged.splitlines() if line not in plain.splitlines()]
    assert [line for line in added if not line.startswith("#")] == [
        "log 127.0.0.1:5514 len 1024 format rfc5424 local0 info",
        f"log-format-sd '{LOG_FORMAT_SD}'",
    ]
    assert "    log stdout format raw local0 info\n" in logged
    assert "log 127.0.0.1" not in plain
    assert "log-format-sd" not in plain


def test_a_latency_log_port_out_of_range_is_refused_naming_it() -> None:
    with pytest.raises(LayoutError, match="invalid latency log port 70000"):
        ProxyLayout("QmNodeA", "node-a", "127.0.0.1", 8080, latency_log_port=70000)


@pytest.mark.component
def test_a_maxconn_gives_the_public_port_nine_tenths_and_passes_haproxy_check(
    tmp_path: Path, federation_ca: FederationCA
) -> None:
    layout = dataclasses.replace(
        layout_with(federation_ca, members=2, functions=("figlet",)),
        connections=ConnectionLimits(maxconn=40000, public_per_source=500),
    )
    config = write_and_check(layout, ProxyTuning(), tmp_path)
    global_section = config.split("\ndefaults\n")[0]
    public = config.split("frontend public\n")[1].split("\nfrontend ")[0]
    assert "    maxconn 40000\n" in global_section
    assert "    maxconn 36000\n" in public
    assert "tcp-request connection reject if { sc1_conn_cur gt 500 }" in public


def test_without_maxconn_haproxy_derives_it_and_no_source_is_limited_at_0(tmp_path: Path) -> None:
    layout = ProxyLayout(
        "QmNodeA",
        "node-a",
        "127.0.0.1",
        8080,
        connections=ConnectionLimits(maxconn=0, public_per_source=0),
    )
    config = render_config(layout, ProxyTuning(), files_in(tmp_path))
    directives = [line.strip() for line in config.splitlines() if not line.strip().startswith("#")]
    assert [line for line in directives if line.startswith("maxconn")] == []
    assert [line for line in directives if line.startswith("tcp-request connection")] == []


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"maxconn": 50}, "invalid maxconn 50: must be 0 or 100..1000000"),
        ({"public_per_source": -1}, "invalid public connections per source -1"),
    ],
)
def test_connection_limits_out_of_range_are_refused_naming_them(
    limits: dict[str, int], message: str
) -> None:
    with pytest.raises(LayoutError, match=message):
        ConnectionLimits(**limits)


def test_function_timeout_is_rendered_in_whole_seconds(tmp_path: Path) -> None:
    layout = ProxyLayout(
        "QmNodeA", "node-a", "127.0.0.1", 8080, functions=(FunctionSpec("slow", 4500),)
    )
    config = render_config(layout, ProxyTuning(), files_in(tmp_path))
    assert "    timeout server 6s\n" in config


def test_names_that_differ_only_by_dash_underscore_or_dot_get_distinct_identifiers() -> None:
    backends = {identifiers.function_backend(name) for name in ("my-fn", "my_fn", "my.fn")}
    assert len(backends) == 3


@given(st.text(min_size=1), st.text(min_size=1))
def test_identifier_escape_is_injective(first: str, second: str) -> None:
    if first != second:
        assert identifiers.escape(first) != identifiers.escape(second)


def test_members_without_peer_tls_are_refused() -> None:
    member = Member("QmNodeB", "node-b", "10.0.0.2")
    with pytest.raises(LayoutError, match="members need peer TLS"):
        ProxyLayout("QmNodeA", "node-a", "127.0.0.1", 8080, members=(member,))


def test_function_name_with_a_space_is_refused_naming_it() -> None:
    with pytest.raises(LayoutError, match="'bad name'"):
        FunctionSpec("bad name")


def test_tuning_that_names_an_unknown_member_is_refused(tmp_path: Path) -> None:
    layout = ProxyLayout(
        "QmNodeA", "node-a", "127.0.0.1", 8080, functions=(FunctionSpec("figlet"),)
    )
    tuning = ProxyTuning(weights={"figlet": {"QmStranger": 50}})
    with pytest.raises(LayoutError, match="unknown member 'QmStranger'"):
        render_config(layout, tuning, files_in(tmp_path))


def test_weight_above_100_is_refused(tmp_path: Path, federation_ca: FederationCA) -> None:
    layout = layout_with(federation_ca, members=1, functions=("figlet",))
    with pytest.raises(LayoutError, match="out of range: 101"):
        render_config(
            layout, ProxyTuning(weights={"figlet": {"QmMember0": 101}}), files_in(tmp_path)
        )
