"""Where a node's parts listen and keep their state unless configured otherwise.

The collection's roles default to the same values, owned on the Ansible side by
roles/node_defaults/defaults/main.yml; a change here is a change there.
"""

from __future__ import annotations

from pathlib import Path

PUBLIC_PORT = 30080
"""HAProxy's function entry point for clients, advertised to peers (HAProxyPort)."""
PEER_PORT = 30443
"""HAProxy's mutual-TLS port on which members' forwarded requests arrive."""
HAPROXY_EXPORTER_PORT = 8405
"""HAProxy's built-in Prometheus exporter."""
HAPROXY_LATENCY_LOG_PORT = 8406
"""UDP, on 127.0.0.1 only: HAProxy's one log line per request, read by the agent for the
per-function, per-server request duration histogram (0 in the agent config: off)."""
HAPROXY_MAXCONN_BOUNDS = (100, 1_000_000)
"""The smallest and largest global maxconn the agent renders (0 renders none: HAProxy
derives it from its open-files limit; the roles set 40000, dfaas_node_haproxy_maxconn)."""
PUBLIC_CONNECTIONS_PER_SOURCE = 1000
"""Connections one client address (an IPv6 /64) may hold open on the public port; 0: no limit."""
OVERLAY_PORT = 31600
"""The libp2p overlay (TCP)."""
OVERLAY_LISTEN = f"/ip4/0.0.0.0/tcp/{OVERLAY_PORT}"
AGENT_HTTP_PORT = 8080
"""The agent's HTTP API (/healthz, /metrics, /status)."""
AGENT_HTTP_LISTEN = f"127.0.0.1:{AGENT_HTTP_PORT}"

STATE_DIR = Path("/var/lib/dfaas-agent")
"""The agent's own files: its key, and HAProxy's below."""
PRIVATE_KEY_FILE = STATE_DIR / "private_key.pem"
HAPROXY_STATE_DIR = STATE_DIR / "haproxy"
"""Map files, the server state and the last plan, which the agent rewrites."""
