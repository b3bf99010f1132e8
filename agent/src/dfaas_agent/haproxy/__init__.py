"""HAProxy adapter: rendered configuration, validation, hitless reload, runtime API.

The wiring layer builds a `ProxyLayout` (members, functions: rarely changes) and a
`ProxyTuning` (weights, limits: every period) and calls `HAProxyController.apply`.
"""

from dfaas_agent.haproxy.controller import Applied, ApplyResult, HAProxyController, ReloadError
from dfaas_agent.haproxy.layout import (
    ConnectionLimits,
    FunctionSpec,
    HealthCheck,
    LayoutError,
    Member,
    PeerTls,
    ProxyLayout,
    ProxyTuning,
)
from dfaas_agent.haproxy.render import ProxyFiles, Timeouts, render_config, render_maps
from dfaas_agent.haproxy.runtime_api import MasterCli, RuntimeApi, RuntimeApiError
from dfaas_agent.haproxy.stats import (
    ProcessInfo,
    RequestCounters,
    RequestRates,
    StatRow,
    rates_between,
)
from dfaas_agent.haproxy.traffic import FunctionTraffic, function_traffic
from dfaas_agent.haproxy.validation import ConfigRejectedError, check_config

__all__ = [
    "Applied",
    "ApplyResult",
    "ConfigRejectedError",
    "ConnectionLimits",
    "FunctionSpec",
    "FunctionTraffic",
    "HAProxyController",
    "HealthCheck",
    "LayoutError",
    "MasterCli",
    "Member",
    "PeerTls",
    "ProcessInfo",
    "ProxyFiles",
    "ProxyLayout",
    "ProxyTuning",
    "ReloadError",
    "RequestCounters",
    "RequestRates",
    "RuntimeApi",
    "RuntimeApiError",
    "StatRow",
    "Timeouts",
    "check_config",
    "function_traffic",
    "rates_between",
    "render_config",
    "render_maps",
]
