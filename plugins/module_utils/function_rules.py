# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a function deployment must be for OpenFaaS and the DFaaS runtime to accept it.

The same rules as the runtime's own in ``agent/src/dfaas_gateway/deployment.py`` (the agent
cannot import the collection, so it keeps its copy there);
``agent/tests/gateway/test_collection_rules_agree.py`` checks on a table of names, labels
and environment variables that the two accept and refuse the same deployments.

- the name (OpenFaaS ``service``) is a DNS-1123 label, as OpenFaaS and Kubernetes need;
- ``dfaas.maxrate`` is a number of requests per second >= 0 (the agent reads it so);
- ``dfaas.timeout_ms`` and ``dfaas.max_inflight`` are positive integers;
- the concurrency (env ``max_inflight``, else label ``dfaas.max_inflight``) is 1 to 10000;
- env ``exec_timeout`` is a duration above 0 (Go style: ``4s``, ``500ms``, ``1m30s``).

Messages name the module option (``name``, ``labels.dfaas.maxrate``...). Standard
library only, and no import from the collection.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

# Kubernetes (and so OpenFaaS) function names and namespaces are DNS-1123 labels.
DNS_LABEL_PATTERN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
MAX_NAME_LENGTH = 63
MAX_IMAGE_LENGTH = 512
MAX_INFLIGHT_LIMIT = 10000
MAXRATE_LABEL = "dfaas.maxrate"
INTEGER_LABELS = ("dfaas.timeout_ms", "dfaas.max_inflight")
DNS_LABEL_RULE = (
    "a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter"
    " or digit, at most 63 characters)"
)

_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def is_dns_label(text: str) -> bool:
    """Whether ``text`` is a DNS-1123 label (``fullmatch``: no trailing newline slips by)."""
    return len(text) <= MAX_NAME_LENGTH and re.fullmatch(DNS_LABEL_PATTERN, text) is not None


def name_problem(option: str, name: str) -> str | None:
    """Why ``name`` cannot be a function name; None when it can."""
    if is_dns_label(name):
        return None
    return (
        f"{option} {name!r} is not a function name that OpenFaaS and the DFaaS runtime"
        f" accept: {DNS_LABEL_RULE}"
    )


def namespace_problem(option: str, namespace: str) -> str | None:
    """Why ``namespace`` cannot be a Kubernetes namespace; None when it can."""
    if is_dns_label(namespace):
        return None
    return f"{option} {namespace!r} is not a Kubernetes namespace name: {DNS_LABEL_RULE}"


def _is_decimal(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _duration_problem(option: str, text: str) -> str | None:
    stripped = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", stripped):
        seconds = float(stripped)
    elif _DURATION.fullmatch(stripped):
        seconds = sum(
            float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(stripped)
        )
    else:
        return f"{option} {text!r} is not a duration (examples: 4s, 500ms, 1m30s, 2.5)"
    if seconds <= 0:
        return f"{option} {text!r} must be a duration above 0"
    return None


def _maxrate_problem(value: str) -> str | None:
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if math.isfinite(rate) and rate >= 0:
        return None
    return f"labels.{MAXRATE_LABEL} must be a number of requests per second >= 0, got {value!r}"


def deployment_problem(deployment: Mapping[str, Any]) -> str | None:
    """Why OpenFaaS or the DFaaS runtime would refuse ``deployment``; None when neither would.

    ``deployment`` is the OpenFaaS ``FunctionDeployment`` body (``service``, ``image``,
    ``labels`` and ``envVars`` with string values), as the module sends it.
    """
    problem = name_problem("name", deployment.get("service") or "")
    if problem is not None:
        return problem
    image = deployment.get("image") or ""
    if not 1 <= len(image) <= MAX_IMAGE_LENGTH:
        return f"image must be 1 to {MAX_IMAGE_LENGTH} characters, got {len(image)}"
    labels: Mapping[str, str] = deployment.get("labels") or {}
    env_vars: Mapping[str, str] = deployment.get("envVars") or {}
    if MAXRATE_LABEL in labels:
        problem = _maxrate_problem(labels[MAXRATE_LABEL])
        if problem is not None:
            return problem
    for label in INTEGER_LABELS:
        value = labels.get(label)
        if value is not None and not (_is_decimal(value) and int(value) > 0):
            return f"labels.{label} must be a positive integer, got {value!r}"
    if "max_inflight" in env_vars:
        option, raw = "env_vars.max_inflight", env_vars["max_inflight"]
    else:
        option, raw = "labels.dfaas.max_inflight", labels.get("dfaas.max_inflight")
    if raw is not None and not (_is_decimal(raw.strip()) and 1 <= int(raw) <= MAX_INFLIGHT_LIMIT):
        return f"{option} must be an integer from 1 to {MAX_INFLIGHT_LIMIT}, got {raw!r}"
    if "exec_timeout" in env_vars:
        return _duration_problem("env_vars.exec_timeout", env_vars["exec_timeout"])
    return None
