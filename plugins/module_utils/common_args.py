# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Argument specs for the option groups that the doc fragments describe.

Kept next to each other so that a fragment and its spec change together.
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import env_fallback

VALIDATE_CERTS_ARG: dict[str, Any] = {"validate_certs": {"type": "bool", "default": True}}

PROMETHEUS_ARGS: dict[str, Any] = {
    "prometheus_url": {
        "type": "str",
        "default": "http://127.0.0.1:9090",
        "fallback": (env_fallback, ["DFAAS_PROMETHEUS_URL"]),
    },
    "prometheus_timeout": {"type": "float", "default": 10.0},
    "prometheus_username": {"type": "str"},
    "prometheus_password": {"type": "str", "no_log": True},
    **VALIDATE_CERTS_ARG,
}

HAPROXY_SOCKET_ARGS: dict[str, Any] = {
    "socket": {
        "type": "str",
        "default": "/run/haproxy/admin.sock",
        "fallback": (env_fallback, ["DFAAS_HAPROXY_SOCKET"]),
    },
    "socket_timeout": {"type": "float", "default": 5.0},
}

GATEWAY_ARGS: dict[str, Any] = {
    "gateway_url": {"type": "str", "fallback": (env_fallback, ["DFAAS_GATEWAY_URL"])},
    "gateway_username": {"type": "str", "fallback": (env_fallback, ["DFAAS_GATEWAY_USERNAME"])},
    "gateway_password": {
        "type": "str",
        "no_log": True,
        "fallback": (env_fallback, ["DFAAS_GATEWAY_PASSWORD"]),
    },
    "gateway_timeout": {"type": "float", "default": 10.0},
    **VALIDATE_CERTS_ARG,
}


def prometheus_client_args(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``PrometheusClient`` from a module's parameters."""
    return {
        "url": params["prometheus_url"],
        "timeout": params["prometheus_timeout"],
        "validate_certs": params["validate_certs"],
        "username": params["prometheus_username"],
        "password": params["prometheus_password"],
    }


def gateway_client_args(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``GatewayClient`` from a module's parameters."""
    return {
        "url": params["gateway_url"],
        "username": params["gateway_username"],
        "password": params["gateway_password"],
        "timeout": params["gateway_timeout"],
        "validate_certs": params["validate_certs"],
    }
