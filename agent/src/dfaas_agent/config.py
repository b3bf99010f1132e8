"""The agent's configuration: one validated, frozen `AgentConfig`.

Sources, later ones winning: built-in defaults, a YAML file, then the
prototype's `AGENT_*` environment variables (same names and meanings where
they still make sense). The environment is passed in as a mapping; this module
never reads `os.environ` itself. Any bad value becomes a `ConfigError` whose
message is one line naming the key and the problem.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import base58
import multihash  # type: ignore[import-untyped]
import yaml
from multiaddr import Multiaddr
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from dfaas_agent.durations import parse_duration
from dfaas_agent.model import StrategySettings, UsageGroup
from dfaas_agent.node_defaults import (
    AGENT_HTTP_LISTEN,
    AGENT_HTTP_PORT,
    HAPROXY_EXPORTER_PORT,
    HAPROXY_LATENCY_LOG_PORT,
    HAPROXY_MAXCONN_BOUNDS,
    HAPROXY_STATE_DIR,
    OVERLAY_LISTEN,
    PEER_PORT,
    PRIVATE_KEY_FILE,
    PUBLIC_CONNECTIONS_PER_SOURCE,
    PUBLIC_PORT,
)
from dfaas_agent.strategies import UnknownStrategy, canonical_name, spec_of

MAX_HEARTBEAT_PERIODS = 60
"""Beyond this a member that joins or returns waits too long to learn a quiet one."""


class ConfigError(Exception):
    """A configuration problem; `str()` is one line naming the key."""


def _strategy(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a strategy name, got {value!r}")  # noqa: TRY004 (pydantic wants ValueError)
    try:
        return canonical_name(value)
    except UnknownStrategy as error:
        raise ValueError(str(error)) from None


def _duration_at_least(minimum: float, what: str) -> Callable[[object], float]:
    def validate(value: object) -> float:
        seconds = parse_duration(value)
        if seconds < minimum:
            raise ValueError(f"must be >= {what}, got {value!r}")
        return seconds

    return validate


def _multiaddr(value: str) -> str:
    try:
        return str(Multiaddr(value))
    except Exception:  # the library raises several unrelated types
        raise ValueError(f"not a valid multiaddr: {value!r}") from None


def _peer_multiaddr(value: str) -> str:
    text = _multiaddr(value)
    if "/p2p/" not in text:
        raise ValueError(f"bootstrap peer must end in /p2p/<peer ID>: {value!r}")
    return text


def _peer_id(value: str) -> str:
    # A peer ID is a base58 multihash: identity for Ed25519 keys (12D3KooW...), sha2-256 for RSA.
    try:
        multihash.decode(base58.b58decode(value))
    except ValueError:
        raise ValueError(f"not a libp2p peer ID (12D3KooW...): {value!r}") from None
    return value


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def _name(value: str) -> str:
    # Names become HAProxy server names and header values.
    if not _NAME.fullmatch(value):
        raise ValueError(f"must match {_NAME.pattern} (letters, digits, . _ -), got {value!r}")
    return value


def _host(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", value):
        raise ValueError(f"not an IP address or host name: {value!r}")
    return value


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"not an IP address: {value!r}") from None


def _maxconn(value: int) -> int:
    low, high = HAPROXY_MAXCONN_BOUNDS
    if value != 0 and not low <= value <= high:
        raise ValueError(f"must be 0 (HAProxy's own) or {low}..{high}, got {value}")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value.rstrip("/")


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    _host(host.strip("[]"))
    return value


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Seconds = Annotated[float, BeforeValidator(_duration_at_least(0.001, "1 ms"))]
Port = Annotated[int, Field(ge=1, le=65535)]
PositiveAmount = Annotated[float, Field(gt=0, allow_inf_nan=False)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Member(_Section):
    """One federation member: only these peer IDs count as peers."""

    name: Annotated[str, AfterValidator(_name)]
    peer_id: Annotated[str, AfterValidator(_peer_id)]
    address: Annotated[str, AfterValidator(_host)]
    """IP address or host name of the member's node (its HAProxy)."""


class HAProxySettings(_Section):
    binary: Path = Path("/usr/sbin/haproxy")
    config_file: Path = Path("/etc/haproxy/haproxy.cfg")
    """Base configuration owned by the haproxy role (global, defaults, exporter)."""
    rendered_config_file: Path = Path("/etc/haproxy/conf.d/dfaas.cfg")
    """Federation configuration the agent renders from its template."""
    master_socket: Path = Path("/run/haproxy/master.sock")
    admin_socket: Path = Path("/run/haproxy/admin.sock")
    public_port: Port = PUBLIC_PORT
    """Function entry point for clients, advertised to peers (HAProxyPort)."""
    peer_port: Port = PEER_PORT
    """Mutual-TLS port on which peers' forwarded requests arrive."""
    exporter_port: Port = HAPROXY_EXPORTER_PORT
    """HAProxy's built-in Prometheus exporter."""
    latency_log_port: Annotated[int, Field(ge=0, le=65535)] = HAPROXY_LATENCY_LOG_PORT
    """UDP port on 127.0.0.1 where HAProxy sends one log line per request and the agent
    reads it into `dfaas_request_duration_seconds`; 0: no such log, no histogram."""
    bind_address: Annotated[str, AfterValidator(_host)] = "0.0.0.0"
    """Address the rendered listeners (public, peer, exporter) bind to."""
    state_dir: Path = HAPROXY_STATE_DIR
    """Map files (local limits, admitted rates) the agent rewrites every period."""
    peer_ca_file: Path | None = None
    """Federation CA (PEM) that members' certificates must chain to; needed with members."""
    peer_certificate_file: Path | None = None
    """This node's certificate (CN = its peer ID) and private key in one PEM file."""
    maxconn: Annotated[int, AfterValidator(_maxconn)] = 0
    """Connections HAProxy holds at once (global maxconn; the roles set the node-wide
    dfaas_node_haproxy_maxconn). The public port takes at most 90 % of them. 0: HAProxy
    derives it from its open-files limit, and the public port has no share of its own."""
    public_connections_per_source: Annotated[int, Field(ge=0, le=HAPROXY_MAXCONN_BOUNDS[1])] = (
        PUBLIC_CONNECTIONS_PER_SOURCE
    )
    """Connections one client address (an IPv6 /64) may hold open on the public port;
    beyond it, its new ones are closed at once (0: no limit)."""
    queue_per_slot: Annotated[int, Field(ge=0, le=100)] = 1
    """Requests that may wait for each execution slot before the excess goes to members:
    a burst waits about one call's time instead of being sent away (0: no queue)."""


class NodeMarginSettings(_Section):
    cpu_threshold_percent: PositiveAmount = 120.0
    """Highest acceptable CPU use, percent of one core (100 = one core)."""
    ram_threshold_bytes: PositiveAmount = 5_500_000_000.0
    power_threshold_microwatts: PositiveAmount = 2_100_000.0
    """Only used with a forecaster that predicts power."""
    node_type: Annotated[int, Field(ge=0, le=2)] = 1
    """0 heavy, 1 mid, 2 light (the prototype forecaster's feature)."""
    function_groups: dict[str, UsageGroup] = Field(default_factory=dict)
    """Usage group per function; unlisted functions count as medium."""


class ExternalSettings(_Section):
    """Strategy `external`: the policy endpoint and what plans when it gives no answer."""

    url: HttpUrl | None = None
    """Where the observation is POSTed every period; required by strategy external."""
    timeout: Seconds = 1.0
    """Longest wait for an answer; at most half the period."""
    fallback: Annotated[str, BeforeValidator(_strategy)] = "recalc"
    """Strategy that plans a period without a usable answer, and whose announcements this
    node makes every period: one that forwards, other than external."""


class AgentConfig(_Section):
    """Everything the agent needs, validated once at start."""

    node_name: Annotated[str, AfterValidator(_name)] | None = None
    node_ip: Annotated[str, AfterValidator(_ip)] | None = None
    """Address advertised to peers as HAProxyHost; required unless strategy is all_local."""
    listen: Annotated[
        tuple[Annotated[str, AfterValidator(_multiaddr)], ...],
        BeforeValidator(_comma_list),
        Field(min_length=1),
    ] = (OVERLAY_LISTEN,)
    private_key_file: Path = PRIVATE_KEY_FILE
    bootstrap_enabled: bool = True
    """False: dial no bootstrap peer (the prototype's AGENT_BOOTSTRAP_NODES)."""
    bootstrap_peers: Annotated[
        tuple[Annotated[str, AfterValidator(_peer_multiaddr)], ...], BeforeValidator(_comma_list)
    ] = ()
    bootstrap_peers_file: Path | None = None
    bootstrap_backoff: Seconds = 1.0
    """First wait before re-dialling a bootstrap peer; doubles up to bootstrap_backoff_max."""
    bootstrap_backoff_max: Seconds = 60.0
    rendezvous: Annotated[str, Field(min_length=1)] = "dfaasagent-mYRGdJPC3chmJ"
    kademlia_enabled: bool = True
    kademlia_idle_time: Seconds = 60.0
    pubsub_topic: Annotated[str, Field(min_length=1)] = "/dfaasagent/1.0.0"
    members: tuple[Member, ...] = ()
    members_file: Path | None = None
    strategy: Annotated[str, BeforeValidator(_strategy)] = "recalc"
    period: Annotated[float, BeforeValidator(_duration_at_least(1.0, "1 second"))] = 60.0
    """Control period in seconds."""
    announce_heartbeat_periods: Annotated[int, Field(ge=1, le=MAX_HEARTBEAT_PERIODS)] = 1
    """An unchanged announcement is published again after this many periods (a changed
    one at once); peers keep an entry valid that much longer. 1: every period, as the
    prototype's Go agents do and expect. The same value on every member, like `period`."""
    haproxy: HAProxySettings = HAProxySettings()
    gateway_url: HttpUrl = "http://127.0.0.1:31112"
    gateway_username: Annotated[str, Field(min_length=1)] | None = None
    """Basic-auth user of the gateway's /system API (OpenFaaS); None: no auth."""
    gateway_password_file: Path | None = None
    """File holding the gateway password (root only), so it is in no config file."""
    prometheus_url: HttpUrl = "http://127.0.0.1:9090"
    node_usage: Literal["prometheus", "cgroup"] = "prometheus"
    """Where node CPU and memory come from: node-exporter through Prometheus (a VM or a
    host), or the node's own cgroup (a node that is a container, where node-exporter
    reports the host's)."""
    cgroup_root: Path = Path("/sys/fs/cgroup")
    """The node's cgroup, read when node_usage is cgroup."""
    forecaster_url: HttpUrl | None = None
    node_margin: NodeMarginSettings = NodeMarginSettings()
    external: ExternalSettings = ExternalSettings()
    http_listen: Annotated[str, AfterValidator(_host_port)] = AGENT_HTTP_LISTEN
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"],
        BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v),
    ] = "info"

    @model_validator(mode="after")
    def _consistent(self) -> AgentConfig:
        if spec_of(self.strategy).forwards and self.node_ip is None:
            raise _KeyedError(("node_ip",), f"required by strategy {self.strategy}")
        if self.bootstrap_backoff_max < self.bootstrap_backoff:
            raise _KeyedError(
                ("bootstrap_backoff_max",),
                f"must be >= bootstrap_backoff ({self.bootstrap_backoff:g} s), "
                f"got {self.bootstrap_backoff_max:g} s",
            )
        if self.members:
            for index, address in enumerate(self.bootstrap_peers):
                peer_id = address.rsplit("/p2p/", 1)[-1]
                if peer_id not in self.member_ids:
                    raise _KeyedError(
                        ("bootstrap_peers", str(index)),
                        f"peer {peer_id} is not on the member list",
                    )
        if (self.gateway_username is None) != (self.gateway_password_file is None):
            missing = (
                "gateway_password_file"
                if self.gateway_password_file is None
                else ("gateway_username")
            )
            raise _KeyedError((missing,), "gateway_username and gateway_password_file go together")
        if self.gateway_password_file is not None and not self.gateway_password_file.is_file():
            raise _KeyedError(
                ("gateway_password_file",), f"no such file: {self.gateway_password_file}"
            )
        self._check_external()
        seen: set[str] = set()
        for index, member in enumerate(self.members):
            if member.peer_id in seen:
                raise _KeyedError(
                    ("members", str(index), "peer_id"), f"duplicate peer ID {member.peer_id}"
                )
            seen.add(member.peer_id)
        return self

    def _check_external(self) -> None:
        external = self.external
        if self.strategy == "external" and external.url is None:
            raise _KeyedError(("external", "url"), "required by strategy external")
        if external.fallback == "external":
            raise _KeyedError(("external", "fallback"), "must be a strategy other than external")
        if not spec_of(external.fallback).forwards:
            raise _KeyedError(
                ("external", "fallback"),
                f"{external.fallback} announces nothing, so members would never learn this"
                " node's address: choose one that forwards",
            )
        if self.strategy == "external" and external.timeout > self.period / 2:
            raise _KeyedError(
                ("external", "timeout"),
                f"must be at most half the period ({self.period / 2:g} s), "
                f"got {external.timeout:g} s",
            )

    @property
    def reads_node_usage(self) -> bool:
        """The strategy, or the fallback that external plans with, decides on CPU and RAM."""
        planner = self.external.fallback if self.strategy == "external" else self.strategy
        return spec_of(self.strategy).reads_node_usage or spec_of(planner).reads_node_usage

    def gateway_auth(self) -> tuple[str, str] | None:
        """(user, password) for the gateway, the password read from its file now."""
        if self.gateway_username is None or self.gateway_password_file is None:
            return None
        try:
            password = self.gateway_password_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(
                f"config: gateway_password_file: cannot read {self.gateway_password_file}: "
                f"{exc.strerror}"
            ) from exc
        return self.gateway_username, password

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(member.peer_id for member in self.members)

    def strategy_settings(self) -> StrategySettings:
        """What the strategies need, as a plain value (strategies do not import config)."""
        return StrategySettings(
            node_ip=self.node_ip,
            public_port=self.haproxy.public_port,
            members=self.member_ids,
            period_s=self.period,
            cpu_threshold_percent=self.node_margin.cpu_threshold_percent,
            ram_threshold_bytes=self.node_margin.ram_threshold_bytes,
            power_threshold_microwatts=self.node_margin.power_threshold_microwatts,
            node_type=self.node_margin.node_type,
            function_groups=dict(self.node_margin.function_groups),
            fallback_strategy=self.external.fallback,
        )


class _KeyedError(ValueError):
    """A cross-field problem that belongs to one key."""

    def __init__(self, key: tuple[str, ...], problem: str) -> None:
        super().__init__(problem)
        self.key = key


# --- environment -------------------------------------------------------------------------

_ENV_KEYS: dict[str, tuple[str, ...]] = {
    "AGENT_NODE_NAME": ("node_name",),
    "AGENT_NODE_IP": ("node_ip",),
    "AGENT_LISTEN": ("listen",),
    "AGENT_PRIVATE_KEY_FILE": ("private_key_file",),
    "AGENT_BOOTSTRAP_NODES": ("bootstrap_enabled",),
    "AGENT_BOOTSTRAP_NODES_LIST": ("bootstrap_peers",),
    "AGENT_BOOTSTRAP_NODES_FILE": ("bootstrap_peers_file",),
    "AGENT_BOOTSTRAP_BACKOFF": ("bootstrap_backoff",),
    "AGENT_BOOTSTRAP_BACKOFF_MAX": ("bootstrap_backoff_max",),
    "AGENT_RENDEZVOUS": ("rendezvous",),
    "AGENT_KADEMLIA_ENABLED": ("kademlia_enabled",),
    "AGENT_KAD_IDLE_TIME": ("kademlia_idle_time",),
    "AGENT_PUBSUB_TOPIC": ("pubsub_topic",),
    "AGENT_MEMBERS_FILE": ("members_file",),
    "AGENT_STRATEGY": ("strategy",),
    "AGENT_RECALC_PERIOD": ("period",),
    "AGENT_ANNOUNCE_HEARTBEAT_PERIODS": ("announce_heartbeat_periods",),
    "AGENT_HAPROXY_BINARY": ("haproxy", "binary"),
    "AGENT_HAPROXY_CONFIG_FILE": ("haproxy", "config_file"),
    "AGENT_HAPROXY_RENDERED_CONFIG_FILE": ("haproxy", "rendered_config_file"),
    "AGENT_HAPROXY_MASTER_SOCKET": ("haproxy", "master_socket"),
    "AGENT_HAPROXY_SOCK_PATH": ("haproxy", "admin_socket"),
    "AGENT_HAPROXY_PORT": ("haproxy", "public_port"),
    "AGENT_HAPROXY_PEER_PORT": ("haproxy", "peer_port"),
    "AGENT_HAPROXY_EXPORTER_PORT": ("haproxy", "exporter_port"),
    "AGENT_HAPROXY_LATENCY_LOG_PORT": ("haproxy", "latency_log_port"),
    "AGENT_HAPROXY_BIND_ADDRESS": ("haproxy", "bind_address"),
    "AGENT_HAPROXY_STATE_DIR": ("haproxy", "state_dir"),
    "AGENT_HAPROXY_QUEUE_PER_SLOT": ("haproxy", "queue_per_slot"),
    "AGENT_HAPROXY_MAXCONN": ("haproxy", "maxconn"),
    "AGENT_HAPROXY_PUBLIC_CONNECTIONS_PER_SOURCE": ("haproxy", "public_connections_per_source"),
    "AGENT_FEDERATION_CA_FILE": ("haproxy", "peer_ca_file"),
    "AGENT_FEDERATION_CERT_FILE": ("haproxy", "peer_certificate_file"),
    "AGENT_GATEWAY_URL": ("gateway_url",),
    "AGENT_OPENFAAS_USER": ("gateway_username",),
    "AGENT_GATEWAY_PASSWORD_FILE": ("gateway_password_file",),
    "AGENT_PROMETHEUS_URL": ("prometheus_url",),
    "AGENT_NODE_USAGE": ("node_usage",),
    "AGENT_FORECASTER_URL": ("forecaster_url",),
    "AGENT_EXTERNAL_URL": ("external", "url"),
    "AGENT_EXTERNAL_TIMEOUT": ("external", "timeout"),
    "AGENT_EXTERNAL_FALLBACK": ("external", "fallback"),
    "AGENT_NMS_CPU_THRESHOLD": ("node_margin", "cpu_threshold_percent"),
    "AGENT_NMS_RAM_THRESHOLD": ("node_margin", "ram_threshold_bytes"),
    "AGENT_NMS_POWER_THRESHOLD": ("node_margin", "power_threshold_microwatts"),
    "AGENT_NODE_TYPE": ("node_margin", "node_type"),
    "AGENT_HTTP_LISTEN": ("http_listen",),
    "AGENT_LOG_LEVEL": ("log_level",),
}

# The prototype's HOST/PORT pairs become one URL (or HOST:PORT); the URL variable wins.
_ENV_ENDPOINTS: tuple[tuple[str, str, str, str, int], ...] = (
    ("AGENT_OPENFAAS_HOST", "AGENT_OPENFAAS_PORT", "gateway_url", "http://{}:{}", 8080),
    ("AGENT_PROMETHEUS_HOST", "AGENT_PROMETHEUS_PORT", "prometheus_url", "http://{}:{}", 9090),
    ("AGENT_FORECASTER_HOST", "AGENT_FORECASTER_PORT", "forecaster_url", "http://{}:{}", 80),
    ("AGENT_HTTPSERVER_HOST", "AGENT_HTTPSERVER_PORT", "http_listen", "{}:{}", AGENT_HTTP_PORT),
)


def _environment_overrides(
    environ: Mapping[str, str],
) -> tuple[dict[tuple[str, ...], str], dict[tuple[str, ...], str]]:
    """(key path -> value, key path -> the variable it came from)."""
    values: dict[tuple[str, ...], str] = {}
    sources: dict[tuple[str, ...], str] = {}
    for host_var, port_var, field_name, form, default_port in _ENV_ENDPOINTS:
        host = environ.get(host_var, "").strip()
        port = environ.get(port_var, "").strip()
        if host or port:
            values[(field_name,)] = form.format(host or "127.0.0.1", port or default_port)
            sources[(field_name,)] = host_var if host else port_var
    if environ.get("AGENT_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        values[("log_level",)] = "debug"
        sources[("log_level",)] = "AGENT_DEBUG"
    for variable, key in _ENV_KEYS.items():
        # Charts render unset values as empty strings: those mean "not set".
        if environ.get(variable, "").strip():
            values[key] = environ[variable]
            sources[key] = variable
    return values, sources


# --- files -------------------------------------------------------------------------------


# The agent's own files (config, members, bootstrap peers) are small; a member list of
# a thousand nodes is about 150 KiB. The bound keeps a huge or endless file (/dev/zero)
# from holding the agent in the YAML parser for seconds and hundreds of MB.
MAX_FILE_BYTES = 1024 * 1024


def _read_text(path: Path, key: str) -> str:
    """The file's text, refused unread when it is larger than MAX_FILE_BYTES."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # A pipe or a device tells no size: read one byte past the bound to know.
            data = b"" if size > MAX_FILE_BYTES else handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"config: {key}: cannot read {path}: {error.strerror}") from None
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        known = f"{size} bytes, " if size > MAX_FILE_BYTES else ""
        raise ConfigError(
            f"config: {key}: {path} is {known}more than the limit of {MAX_FILE_BYTES} bytes (1 MiB)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config: {key}: cannot read {path}: not UTF-8 text") from None


def _read_yaml(path: Path, key: str) -> Any:
    text = _read_text(path, key)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"config: {key}: {path}: invalid YAML{where}: {problem}") from None


def _read_bootstrap_file(path: Path) -> list[str]:
    lines = _read_text(path, "bootstrap_peers_file").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _read_members_file(path: Path) -> Any:
    document = _read_yaml(path, "members_file")
    if isinstance(document, dict) and "members" in document:
        document = document["members"]
    if not isinstance(document, list):
        raise ConfigError(
            f"config: members_file: {path}: expected a list of members "
            "({name, peer_id, address}) or a mapping with a 'members' list"
        )
    return document


# --- loading -----------------------------------------------------------------------------


def _set(document: dict[str, Any], key: tuple[str, ...], value: object) -> None:
    node = document
    for part in key[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[key[-1]] = value


def _describe(error: ValidationError, sources: Mapping[tuple[str, ...], str]) -> str:
    first = error.errors(include_url=False)[0]
    context = first.get("ctx") or {}
    underlying = context.get("error")
    if isinstance(underlying, _KeyedError):
        key: tuple[str, ...] = underlying.key
        problem = str(underlying)
    else:
        key = tuple(str(part) for part in first["loc"])
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown key"
        elif first["type"] == "missing":
            problem = "required"
        elif first["type"] != "value_error" and isinstance(
            first["input"], str | int | float | bool
        ):
            problem = f"{problem[0].lower()}{problem[1:]}, got {first['input']!r}"
    name = ".".join(key) or "(top level)"
    source = sources.get(key[:2]) or sources.get(key[:1])
    if source is not None:
        name = f"{name} (from {source})"
    return " ".join(f"config: {name}: {problem}".split())


def load_config(path: Path | None, environ: Mapping[str, str]) -> AgentConfig:
    """Validate the YAML file at `path` (optional) overridden by `AGENT_*` variables."""
    document: dict[str, Any] = {}
    if path is not None:
        loaded = _read_yaml(path, "config file")
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config: {path}: expected a mapping of keys, got a YAML list/value")
        document = dict(loaded or {})
    overrides, sources = _environment_overrides(environ)
    for key, value in overrides.items():
        _set(document, key, value)

    bootstrap_file = document.get("bootstrap_peers_file")
    if isinstance(bootstrap_file, str) and bootstrap_file:
        listed = _comma_list(document.get("bootstrap_peers", ()))
        extra = _read_bootstrap_file(Path(bootstrap_file))
        document["bootstrap_peers"] = (
            *(listed if isinstance(listed, list | tuple) else ()),
            *extra,
        )
    members_file = document.get("members_file")
    if isinstance(members_file, str) and members_file:
        listed_members = document.get("members") or []
        from_file = _read_members_file(Path(members_file))
        if isinstance(listed_members, list):
            document["members"] = [*listed_members, *from_file]

    try:
        return AgentConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_describe(error, sources)) from None
