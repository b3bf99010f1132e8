"""Render the full HAProxy configuration and its runtime maps from a layout.

The template only lays out data prepared here; no configuration text is built
by string concatenation. Map files carry the per-period values (local limits,
admitted rates) that HAProxy reads per request and that the runtime API
changes in place; they are written with the configuration so that a reload or
a restart starts from the current values.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from dfaas_agent.haproxy import identifiers
from dfaas_agent.haproxy.latency_log import LOG_FORMAT_SD
from dfaas_agent.haproxy.layout import Member, ProxyLayout, ProxyTuning

UNLIMITED = -1  # map value meaning "no limit" (an absent key reads the same)
# A function's server timeout leaves the gateway one second to answer after the
# function's own timeout (upstream's recommended timeout chain).
_GATEWAY_GRACE_MS = 1000
# Other members tried after a refusal before running (retry-on 503, connection failure).
MAX_MEMBER_RETRIES = 2


@dataclass(frozen=True)
class ProxyFiles:
    """Where this node's HAProxy configuration, maps and sockets live."""

    config_file: Path
    state_dir: Path
    stats_socket: Path
    master_socket: Path

    @property
    def local_limits_map(self) -> Path:
        return self.state_dir / "local_limits.map"

    @property
    def admitted_rates_map(self) -> Path:
        return self.state_dir / "admitted_rates.map"

    @property
    def room_map(self) -> Path:
        return self.state_dir / "room.map"

    @property
    def map_files(self) -> tuple[Path, ...]:
        """Every map the configuration reads (each must exist, even empty)."""
        return (self.local_limits_map, self.admitted_rates_map, self.room_map)

    @property
    def last_plan_file(self) -> Path:
        """The last layout members and tuning the agent applied (`loop.last_plan`)."""
        return self.state_dir / "last-plan.json"

    @property
    def server_state_file(self) -> Path:
        """Health of the checked servers, written for the next reload (`server_state`)."""
        return self.state_dir / "server-state"


@dataclass(frozen=True)
class Timeouts:
    """Proxy-wide timeouts, all whole seconds (HAProxy parses nothing finer here)."""

    connect_s: int = 5
    client_s: int = 60
    server_s: int = 60
    http_request_s: int = 10
    keep_alive_s: int = 5
    hard_stop_after_s: int = 120
    rate_window_s: int = 1
    stick_expire_s: int = 60
    # Entries that only count (client requests, members' admissions) live long:
    # one that expires restarts its count, and that period's rate is unknown.
    counter_expire_s: int = 3600
    # A request waits at most this long for an execution slot (queue places are
    # few, so this only bounds the unexpected).
    queue_s: int = 2
    # Connecting to a member: a stopped one is given up on (and the request tried
    # on another) well before its health checks mark it DOWN.
    member_connect_s: int = 1


TEMPLATE_NAME = "haproxy.cfg.j2"
# The rendered file's second line: a restarted agent that finds its layout there
# takes the running HAProxy over without a reload.
STRUCTURE_LINE = "# Structure:"


def _environment(template_dir: Path | None) -> jinja2.Environment:
    loader: jinja2.BaseLoader = (
        jinja2.FileSystemLoader(template_dir)
        if template_dir
        else jinja2.PackageLoader("dfaas_agent.haproxy", "templates")
    )
    return jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # HAProxy configuration, not HTML
    )


def render_config(
    layout: ProxyLayout,
    tuning: ProxyTuning,
    files: ProxyFiles,
    timeouts: Timeouts | None = None,
    *,
    template_dir: Path | None = None,
) -> str:
    """The complete configuration text for `layout`, with `tuning`'s weights.

    `template_dir` replaces the packaged template (site overrides, tests).
    """
    tuning.check_against(layout)
    template = _environment(template_dir).get_template(TEMPLATE_NAME)
    timeouts = timeouts or Timeouts()
    digest = _structure_digest(template, layout, files, timeouts)
    return template.render(_view(layout, tuning, files, timeouts, digest))


def structure_digest(
    layout: ProxyLayout,
    files: ProxyFiles,
    timeouts: Timeouts | None = None,
    *,
    template_dir: Path | None = None,
) -> str:
    """What a configuration's structure line says for `layout`: a digest of everything
    but the values that the runtime API changes (weights, slots)."""
    template = _environment(template_dir).get_template(TEMPLATE_NAME)
    return _structure_digest(template, layout, files, timeouts or Timeouts())


def structure_digest_of(config_text: str) -> str | None:
    """The structure digest a rendered configuration carries (None: not ours)."""
    for line in config_text.splitlines()[:5]:
        if line.startswith(STRUCTURE_LINE):
            return line.removeprefix(STRUCTURE_LINE).strip()
    return None


def _structure_digest(
    template: jinja2.Template, layout: ProxyLayout, files: ProxyFiles, timeouts: Timeouts
) -> str:
    text = template.render(_view(layout, ProxyTuning(), files, timeouts, ""))
    digest = hashlib.sha256(text.encode())
    # Renewed certificates keep their paths: their content is structure too.
    if layout.tls is not None:
        for path in (layout.tls.ca_file, layout.tls.certificate_file):
            digest.update(b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:32]


def render_maps(layout: ProxyLayout, tuning: ProxyTuning, files: ProxyFiles) -> dict[Path, str]:
    """Map files content: every key of the layout present, so `set map` always works."""
    tuning.check_against(layout)
    texts = dict.fromkeys(files.map_files, "")
    for map_file, key, value in map_entries(layout, tuning, files):
        texts[map_file] += f"{key} {value}\n"
    return texts


def map_entries(
    layout: ProxyLayout, tuning: ProxyTuning, files: ProxyFiles
) -> list[tuple[Path, str, int]]:
    """Every (map file, key, value) of `tuning` for `layout`, in a stable order."""
    entries: list[tuple[Path, str, int]] = []
    for function in layout.functions:
        name = function.name
        entries.append((files.local_limits_map, name, map_value(tuning.local_limit(name))))
        entries.append((files.room_map, name, map_value(tuning.room(name))))
        for member in layout.members:
            rate = tuning.admitted_rate(name, member.peer_id)
            entries.append(
                (
                    files.admitted_rates_map,
                    identifiers.admission_key(name, member.peer_id),
                    map_value(rate),
                )
            )
    return entries


def map_value(limit: int | None) -> int:
    """A limit as HAProxy reads it from a map: UNLIMITED for None."""
    return UNLIMITED if limit is None else limit


def _view(
    layout: ProxyLayout,
    tuning: ProxyTuning,
    files: ProxyFiles,
    timeouts: Timeouts,
    digest: str,
) -> dict[str, Any]:
    tls = layout.tls
    member_tls = (
        f"ssl crt {tls.certificate_file} ca-file {tls.ca_file} verify required" if tls else ""
    )
    return {
        "structure_line": f"{STRUCTURE_LINE} {digest}",
        "node": {"id": layout.node_id, "name": layout.node_name},
        "bind": layout.bind_address,
        "exporter_bind": layout.exporter_address,
        "ports": {
            "public": layout.public_port,
            "peer": layout.peer_port,
            "exporter": layout.exporter_port,
        },
        "gateway": f"{layout.gateway_host}:{layout.gateway_port}",
        "files": {
            "stats_socket": files.stats_socket,
            "local_limits_map": files.local_limits_map,
            "admitted_rates_map": files.admitted_rates_map,
            "room_map": files.room_map,
            "server_state_file": files.server_state_file,
        },
        "tls": tls,
        "latency_log": (
            {"port": layout.latency_log_port, "format_sd": LOG_FORMAT_SD}
            if layout.latency_log_port
            else None
        ),
        "check": layout.health_check,
        "connections": layout.connections,
        "timeouts": timeouts,
        "names": {
            "local": identifiers.LOCAL_SERVER,
            "public_frontend": identifiers.PUBLIC_FRONTEND,
            "peer_frontend": identifiers.PEER_FRONTEND,
            "gateway": identifiers.GATEWAY_BACKEND,
            "members": identifiers.MEMBERS_BACKEND,
            "client_requests": identifiers.CLIENT_REQUESTS_TABLE,
            "executions": identifiers.EXECUTIONS_TABLE,
            "public_sources": identifiers.PUBLIC_SOURCES_TABLE,
            "peer_admissions": identifiers.PEER_ADMISSIONS_TABLE,
            "member_inflight": identifiers.MEMBER_INFLIGHT_TABLE,
        },
        "members": [_member_view(m, member_tls) for m in layout.members],
        "admitted_peers": layout.peer_port_members,
        "functions": [
            {
                "name": f.name,
                "acl": identifiers.function_acl(f.name),
                "backend": identifiers.function_backend(f.name),
                "run_backend": identifiers.run_backend(f.name),
                "timeout_s": _function_timeout_s(f.timeout_ms),
                # maxconn 0: no limit, for a runtime whose slots are unknown.
                "slots": tuning.slot_count(f.name) or 0,
                "member_retries": member_retries(len(layout.members)),
                "members": [
                    {**_member_view(m, member_tls), "weight": tuning.weight(f.name, m.peer_id)}
                    for m in layout.members
                ],
            }
            for f in layout.functions
        ],
    }


def member_retries(members: int) -> int:
    """How many other members a request refused before running is tried on: each
    attempt is one hop to a member that has not run it. Two at most, so that a refusal
    costs little of the request's time when the whole federation is full."""
    return max(1, min(MAX_MEMBER_RETRIES, members - 1))


def _member_view(member: Member, member_tls: str) -> dict[str, Any]:
    # `verifyhost` pins the member's certificate to the peer ID we meant to reach.
    return {
        "peer_id": member.peer_id,
        "server": identifiers.member_server(member.name),
        "address": f"{member.host}:{member.peer_port}",
        "tls": f"{member_tls} verifyhost {member.peer_id}",
    }


def _function_timeout_s(timeout_ms: int | None) -> int | None:
    if timeout_ms is None:
        return None
    return math.ceil((timeout_ms + _GATEWAY_GRACE_MS) / 1000)
