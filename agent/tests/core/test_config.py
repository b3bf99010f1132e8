"""Configuration: YAML file, AGENT_* overrides, aliases, durations, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dfaas_agent.config import AgentConfig, ConfigError, load_config
from dfaas_agent.durations import parse_duration

PEER_A = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"
PEER_B = "12D3KooWMokBMBPrFenNNXViFgiuC5yG5ic9CF1jMX9vX2Xemupe"
BASE = {"AGENT_NODE_IP": "10.0.0.1"}


def _write(tmp_path: Path, text: str, name: str = "agent.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_match_the_prototype() -> None:
    config = load_config(None, BASE)

    assert config.listen == ("/ip4/0.0.0.0/tcp/31600",)
    assert config.pubsub_topic == "/dfaasagent/1.0.0"
    assert config.period == 60.0
    assert config.strategy == "recalc"
    assert config.haproxy.public_port == 30080
    assert config.http_listen == "127.0.0.1:8080"  # management stays on the node
    assert config.haproxy.latency_log_port == 8406  # the request duration histogram is on


def test_the_latency_log_port_comes_from_file_or_environment_and_0_turns_it_off(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "node_ip: 10.0.0.9\nhaproxy:\n  latency_log_port: 5514\n")

    assert load_config(path, {}).haproxy.latency_log_port == 5514
    off = load_config(path, {"AGENT_HAPROXY_LATENCY_LOG_PORT": "0"})
    assert off.haproxy.latency_log_port == 0


def test_connection_limits_come_from_file_or_environment_and_reach_the_layout(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "node_ip: 10.0.0.9\nhaproxy:\n  maxconn: 40000\n")

    config = load_config(path, {"AGENT_HAPROXY_PUBLIC_CONNECTIONS_PER_SOURCE": "200"})
    assert (config.haproxy.maxconn, config.haproxy.public_connections_per_source) == (40000, 200)
    defaults = load_config(None, BASE).haproxy
    assert (defaults.maxconn, defaults.public_connections_per_source) == (0, 1000)


def test_file_values_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "node_ip: 10.0.0.9\nperiod: 30\nhaproxy:\n  public_port: 31080\n")

    config = load_config(path, {})

    assert (config.node_ip, config.period, config.haproxy.public_port) == ("10.0.0.9", 30.0, 31080)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "node_ip: 10.0.0.9\nperiod: 30\nhaproxy:\n  public_port: 31080\n")

    config = load_config(
        path, {"AGENT_RECALC_PERIOD": "2m", "AGENT_HAPROXY_PORT": "32080", "AGENT_NODE_IP": "::1"}
    )

    assert (config.node_ip, config.period, config.haproxy.public_port) == ("::1", 120.0, 32080)


def test_an_unchanged_announcement_is_repeated_every_period_unless_set(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "node_ip: 10.0.0.9\nannounce_heartbeat_periods: 3\n")

    assert load_config(None, BASE).announce_heartbeat_periods == 1
    assert load_config(path, {}).announce_heartbeat_periods == 3
    overridden = load_config(path, {"AGENT_ANNOUNCE_HEARTBEAT_PERIODS": "5"})
    assert overridden.announce_heartbeat_periods == 5


def test_empty_environment_values_count_as_unset(tmp_path: Path) -> None:
    path = _write(tmp_path, "node_ip: 10.0.0.9\n")

    config = load_config(path, {"AGENT_NODE_IP": "", "AGENT_STRATEGY": " "})

    assert (config.node_ip, config.strategy) == ("10.0.0.9", "recalc")


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("recalcstrategy", "recalc"),
        ("nodemarginstrategy", "node_margin"),
        ("staticstrategy", "static"),
        ("alllocalstrategy", "all_local"),
        ("NodeMarginStrategy", "node_margin"),
        ("node-margin", "node_margin"),
        ("static", "static"),
    ],
)
def test_strategy_aliases_resolve_to_canonical_names(given: str, canonical: str) -> None:
    assert load_config(None, {**BASE, "AGENT_STRATEGY": given}).strategy == canonical


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60", 60.0), ("1m", 60.0), ("5s", 5.0), ("500ms", 0.5), ("1m30s", 90.0), ("1h", 3600.0)],
)
def test_durations_accept_go_style_strings(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_period_accepts_a_duration_string() -> None:
    assert load_config(None, {**BASE, "AGENT_RECALC_PERIOD": "1m30s"}).period == 90.0


def test_sub_second_durations_are_kept_where_allowed() -> None:
    config = load_config(None, {**BASE, "AGENT_BOOTSTRAP_BACKOFF": "500ms"})

    assert config.bootstrap_backoff == 0.5


def test_prototype_host_and_port_pairs_become_urls() -> None:
    config = load_config(
        None,
        {
            **BASE,
            "AGENT_OPENFAAS_HOST": "gateway",
            "AGENT_OPENFAAS_PORT": "8080",
            "AGENT_PROMETHEUS_HOST": "prometheus",
            "AGENT_HTTPSERVER_PORT": "8008",
        },
    )

    assert config.gateway_url == "http://gateway:8080"
    assert config.prometheus_url == "http://prometheus:9090"
    assert config.http_listen == "127.0.0.1:8008"


def test_agent_debug_selects_debug_logging() -> None:
    assert load_config(None, {**BASE, "AGENT_DEBUG": "true"}).log_level == "debug"


def test_listen_and_bootstrap_lists_are_comma_separated() -> None:
    config = load_config(
        None,
        {
            **BASE,
            "AGENT_LISTEN": "/ip4/0.0.0.0/tcp/31600, /ip6/::/tcp/31600",
            "AGENT_BOOTSTRAP_NODES_LIST": f"/ip4/10.0.0.2/tcp/31600/p2p/{PEER_A}",
        },
    )

    assert config.listen == ("/ip4/0.0.0.0/tcp/31600", "/ip6/::/tcp/31600")
    assert config.bootstrap_peers == (f"/ip4/10.0.0.2/tcp/31600/p2p/{PEER_A}",)


def test_bootstrap_file_adds_one_peer_per_line(tmp_path: Path) -> None:
    peers = _write(
        tmp_path, f"# bootstrap\n/ip4/10.0.0.3/tcp/31600/p2p/{PEER_B}\n\n", name="peers.txt"
    )

    config = load_config(None, {**BASE, "AGENT_BOOTSTRAP_NODES_FILE": str(peers)})

    assert config.bootstrap_peers == (f"/ip4/10.0.0.3/tcp/31600/p2p/{PEER_B}",)


def test_members_come_from_the_file_and_the_members_file(tmp_path: Path) -> None:
    members = _write(
        tmp_path,
        f"members:\n  - {{name: b, peer_id: {PEER_B}, address: 10.0.0.3}}\n",
        name="members.yml",
    )
    path = _write(
        tmp_path,
        f"node_ip: 10.0.0.1\nmembers_file: {members}\n"
        f"members:\n  - {{name: a, peer_id: {PEER_A}, address: node-a.example}}\n",
    )

    config = load_config(path, {})

    assert [m.name for m in config.members] == ["a", "b"]
    assert config.member_ids == frozenset({PEER_A, PEER_B})


def test_strategy_settings_carry_the_thresholds(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "node_ip: 10.0.0.1\nnode_margin:\n  cpu_threshold_percent: 190\n"
        "  function_groups: {nmap: high}\n",
    )

    settings = load_config(path, {"AGENT_NMS_RAM_THRESHOLD": "4100000000"}).strategy_settings()

    assert (settings.cpu_threshold_percent, settings.ram_threshold_bytes) == (190.0, 4.1e9)
    assert settings.group_of("nmap") == "high"
    assert settings.group_of("figlet") == "medium"


def test_config_is_frozen() -> None:
    config = load_config(None, BASE)

    with pytest.raises(ValueError, match="frozen"):
        config.period = 5.0  # type: ignore[misc]


def test_all_local_needs_no_node_ip() -> None:
    assert isinstance(load_config(None, {"AGENT_STRATEGY": "all_local"}), AgentConfig)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AGENT_RECALC_PERIOD": "0"}, "config: period (from AGENT_RECALC_PERIOD): must be >= 1"),
        ({"AGENT_RECALC_PERIOD": "soon"}, "period (from AGENT_RECALC_PERIOD): expected a duration"),
        ({"AGENT_RECALC_PERIOD": "500ms"}, "period (from AGENT_RECALC_PERIOD): must be >= 1"),
        ({"AGENT_STRATEGY": "rlagentstrategy"}, "strategy (from AGENT_STRATEGY): unknown"),
        ({"AGENT_HAPROXY_PORT": "http"}, "haproxy.public_port (from AGENT_HAPROXY_PORT)"),
        ({"AGENT_HAPROXY_PORT": "70000"}, "haproxy.public_port (from AGENT_HAPROXY_PORT)"),
        (
            {"AGENT_HAPROXY_LATENCY_LOG_PORT": "65536"},
            "haproxy.latency_log_port (from AGENT_HAPROXY_LATENCY_LOG_PORT): input should be"
            " less than or equal to 65535",
        ),
        ({"AGENT_NODE_IP": "node one"}, "node_ip (from AGENT_NODE_IP): not an IP address"),
        ({"AGENT_LISTEN": "/ip4/1.2/tcp/1"}, "listen.0 (from AGENT_LISTEN): not a valid"),
        (
            {"AGENT_BOOTSTRAP_NODES_LIST": "/ip4/10.0.0.2/tcp/31600"},
            "bootstrap_peers.0 (from AGENT_BOOTSTRAP_NODES_LIST): bootstrap peer must end",
        ),
        ({"AGENT_BOOTSTRAP_NODES": "perhaps"}, "bootstrap_enabled (from AGENT_BOOTSTRAP_NODES)"),
        (
            {"AGENT_BOOTSTRAP_BACKOFF": "10s", "AGENT_BOOTSTRAP_BACKOFF_MAX": "1s"},
            "bootstrap_backoff_max (from AGENT_BOOTSTRAP_BACKOFF_MAX): must be >=",
        ),
        ({"AGENT_NMS_CPU_THRESHOLD": "-5"}, "node_margin.cpu_threshold_percent"),
        ({"AGENT_NODE_TYPE": "7"}, "node_margin.node_type (from AGENT_NODE_TYPE)"),
        (
            {"AGENT_ANNOUNCE_HEARTBEAT_PERIODS": "0"},
            "announce_heartbeat_periods (from AGENT_ANNOUNCE_HEARTBEAT_PERIODS):"
            " input should be greater than or equal to 1, got '0'",
        ),
        (
            {"AGENT_ANNOUNCE_HEARTBEAT_PERIODS": "2.5"},
            "announce_heartbeat_periods (from AGENT_ANNOUNCE_HEARTBEAT_PERIODS):"
            " input should be a valid integer",
        ),
        ({"AGENT_GATEWAY_URL": "ftp://x"}, "gateway_url (from AGENT_GATEWAY_URL): not an http"),
        ({"AGENT_HTTP_LISTEN": "8080"}, "http_listen (from AGENT_HTTP_LISTEN): expected HOST:PORT"),
        ({"AGENT_LOG_LEVEL": "loud"}, "log_level (from AGENT_LOG_LEVEL)"),
        ({"AGENT_NODE_USAGE": "cadvisor"}, "node_usage (from AGENT_NODE_USAGE)"),
        ({"AGENT_MEMBERS_FILE": "/nonexistent/m.yml"}, "members_file: cannot read"),
        ({"AGENT_BOOTSTRAP_NODES_FILE": "/nonexistent/b"}, "bootstrap_peers_file: cannot read"),
    ],
)
def test_bad_environment_value_is_a_one_line_error_naming_the_key(
    environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {**BASE, **environ})

    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("node_ip: 10.0.0.1\nperiod: 0\n", "config: period: must be >= 1 second, got 0"),
        ("node_ip: 10.0.0.1\npriod: 60\n", "config: priod: unknown key"),
        ("node_ip: 10.0.0.1\nhaproxy: {port: 1}\n", "config: haproxy.port: unknown key"),
        (
            "node_ip: 10.0.0.1\nhaproxy: {latency_log_port: -1}\n",
            "config: haproxy.latency_log_port: input should be greater than or equal to 0",
        ),
        (
            "node_ip: 10.0.0.1\nhaproxy: {maxconn: 50}\n",
            "config: haproxy.maxconn: must be 0 (HAProxy's own) or 100..1000000, got 50",
        ),
        (
            "node_ip: 10.0.0.1\nhaproxy: {latency_log_port: syslog}\n",
            "config: haproxy.latency_log_port: input should be a valid integer",
        ),
        ("period: 60\n", "config: node_ip: required by strategy recalc"),
        ("node_ip: 10.0.0.1\nmembers: [{name: a}]\n", "config: members.0.peer_id: required"),
        (
            f"node_ip: 10.0.0.1\nmembers: [{{name: 'a b', peer_id: {PEER_A}, address: h}}]\n",
            "config: members.0.name: must match",
        ),
        (
            f"node_ip: 10.0.0.1\nmembers: [{{name: a, peer_id: {PEER_A[:-1]}, address: h}}]\n",
            "config: members.0.peer_id: not a libp2p peer ID",
        ),
        (
            "node_ip: 10.0.0.1\nmembers: [{name: a, peer_id: nobody, address: 10.0.0.2}]\n",
            "config: members.0.peer_id: not a libp2p peer ID",
        ),
        (
            f"node_ip: 10.0.0.1\nmembers:\n  - {{name: a, peer_id: {PEER_A}, address: h}}\n"
            f"  - {{name: b, peer_id: {PEER_A}, address: h}}\n",
            "config: members.1.peer_id: duplicate peer ID",
        ),
        (
            f"node_ip: 10.0.0.1\nmembers: [{{name: a, peer_id: {PEER_A}, address: h}}]\n"
            f"bootstrap_peers: [/ip4/10.0.0.3/tcp/31600/p2p/{PEER_B}]\n",
            f"config: bootstrap_peers.0: peer {PEER_B} is not on the member list",
        ),
        ("node_ip: 10.0.0.1\nstrategy: external\n", "config: external.url: required by strategy"),
        (
            "node_ip: 10.0.0.1\nexternal: {url: 'ftp://p'}\n",
            "config: external.url: not an http(s) URL",
        ),
        (
            "node_ip: 10.0.0.1\nexternal: {fallback: external}\n",
            "config: external.fallback: must be a strategy other than external",
        ),
        (
            "node_ip: 10.0.0.1\nexternal: {fallback: all_local}\n",
            "config: external.fallback: all_local announces nothing",
        ),
        (
            "node_ip: 10.0.0.1\nexternal: {fallback: rl}\n",
            "config: external.fallback: unknown strategy 'rl'",
        ),
        (
            "node_ip: 10.0.0.1\nstrategy: external\nperiod: 2s\n"
            "external: {url: 'http://127.0.0.1:9', timeout: 1500ms}\n",
            "config: external.timeout: must be at most half the period (1 s), got 1.5 s",
        ),
        ("- just\n- a list\n", "expected a mapping of keys"),
        ("node_ip: [unclosed\n", "invalid YAML at line"),
    ],
)
def test_bad_file_value_is_a_one_line_error_naming_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text), {})

    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_external_reads_its_endpoint_timeout_and_fallback_from_file_or_environment(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "node_ip: 10.0.0.1\nstrategy: external\nperiod: 5s\n"
        "external: {url: 'http://127.0.0.1:8090/decide', timeout: 500ms}\n",
    )

    config = load_config(path, {"AGENT_EXTERNAL_FALLBACK": "node_margin"})

    assert config.external.url == "http://127.0.0.1:8090/decide"
    assert config.external.timeout == 0.5
    assert config.external.fallback == "node_margin"
    assert config.strategy_settings().fallback_strategy == "node_margin"
    # Its fallback decides on CPU and RAM: so does the agent (forecaster, health).
    assert config.reads_node_usage


def test_external_falls_back_to_recalc_unless_told() -> None:
    config = AgentConfig(node_ip="10.0.0.1", strategy="external", external={"url": "http://p"})

    assert config.external.fallback == "recalc"
    assert config.external.timeout == 1.0
    assert not config.reads_node_usage


def test_missing_config_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yml"):
        load_config(tmp_path / "nope.yml", {})


def test_gateway_credentials_come_from_the_user_and_a_password_file(tmp_path: Path) -> None:
    password_file = _write(tmp_path, "s3cret\n", name="gateway-password")

    config = load_config(
        None,
        {
            **BASE,
            "AGENT_OPENFAAS_USER": "admin",
            "AGENT_GATEWAY_PASSWORD_FILE": str(password_file),
        },
    )

    assert config.gateway_auth() == ("admin", "s3cret")


def test_no_gateway_credentials_by_default() -> None:
    assert load_config(None, BASE).gateway_auth() is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"AGENT_OPENFAAS_USER": "admin"},
            "config: gateway_password_file: gateway_username and gateway_password_file go together",
        ),
        (
            {"AGENT_OPENFAAS_USER": "admin", "AGENT_GATEWAY_PASSWORD_FILE": "/no/such/file"},
            "config: gateway_password_file (from AGENT_GATEWAY_PASSWORD_FILE): "
            "no such file: /no/such/file",
        ),
    ],
)
def test_incomplete_gateway_credentials_are_refused_naming_the_key(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, {**BASE, **environ})
    assert str(raised.value).startswith(message)


# --- size bound: the agent's own files are refused unread past 1 MiB ------------------------


def _big(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    with path.open("wb") as handle:
        handle.write(b"# padding\n" * (size // 10))
        handle.write(b"#" * (size % 10))
    return path


def test_a_config_file_over_1_mib_is_refused_naming_it_and_the_bound(tmp_path: Path) -> None:
    path = _big(tmp_path, "agent.yml", 10 * 1024 * 1024)

    with pytest.raises(ConfigError) as caught:
        load_config(path, BASE)

    assert str(caught.value) == (
        f"config: config file: {path} is 10485760 bytes, more than the limit of 1048576 bytes"
        " (1 MiB)"
    )


def test_a_config_file_of_exactly_1_mib_is_read(tmp_path: Path) -> None:
    path = tmp_path / "agent.yml"
    setting = "node_ip: 10.0.0.1\n"
    path.write_text(setting + "#" * (1024 * 1024 - len(setting) - 1) + "\n")
    assert path.stat().st_size == 1024 * 1024

    assert load_config(path, {}).node_ip == "10.0.0.1"


@pytest.mark.parametrize(
    ("variable", "key"),
    [
        ("AGENT_MEMBERS_FILE", "members_file"),
        ("AGENT_BOOTSTRAP_NODES_FILE", "bootstrap_peers_file"),
    ],
)
def test_a_members_or_bootstrap_file_over_1_mib_is_refused_naming_it(
    tmp_path: Path, variable: str, key: str
) -> None:
    path = _big(tmp_path, "list", 1024 * 1024 + 1)

    with pytest.raises(ConfigError) as caught:
        load_config(None, {**BASE, variable: str(path)})

    assert str(caught.value) == (
        f"config: {key}: {path} is 1048577 bytes, more than the limit of 1048576 bytes (1 MiB)"
    )


def test_an_endless_file_that_tells_no_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(Path("/dev/zero"), BASE)

    assert str(caught.value) == (
        "config: config file: /dev/zero is more than the limit of 1048576 bytes (1 MiB)"
    )
