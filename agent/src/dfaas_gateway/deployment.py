"""An OpenFaaS function deployment request, validated, and the limits it sets.

Per-function limits follow OpenFaaS where it has a name for them:
- concurrency: env `max_inflight` (the watchdog's), else label `dfaas.max_inflight`;
- timeout: env `exec_timeout` (Go duration), else label `dfaas.timeout_ms`;
each falling back to the runtime's defaults. Labels are kept as given.
"""

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dfaas_gateway.durations import parse_duration

# The collection's openfaas_function module checks the same rules before it deploys
# (plugins/module_utils/function_rules.py); tests/gateway/test_collection_rules_agree.py
# keeps the two in step.
# Kubernetes (and so OpenFaaS) function names are DNS-1123 labels.
FUNCTION_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
MAX_INFLIGHT_LIMIT = 10_000
_INTEGER_LABELS = ("dfaas.timeout_ms", "dfaas.max_inflight")
MAXRATE_LABEL = "dfaas.maxrate"


class DeploymentError(ValueError):
    """A deployment request that this runtime refuses (answered with 400)."""


class FunctionDeployment(BaseModel):
    """The fields of OpenFaaS's FunctionDeployment that this runtime uses; others are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    service: str = Field(max_length=63, pattern=FUNCTION_NAME_PATTERN)
    image: str = Field(min_length=1, max_length=512)
    env_process: str | None = Field(default=None, alias="envProcess")
    env_vars: dict[str, str] = Field(default_factory=dict, alias="envVars")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    @field_validator("env_vars", "labels", "annotations", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class FunctionLimits:
    max_inflight: int
    timeout_seconds: float


def parse_deployment(payload: Any) -> FunctionDeployment:
    """Validate a decoded JSON payload; DeploymentError names every bad field."""
    try:
        deployment = FunctionDeployment.model_validate(payload)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'body'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise DeploymentError(f"invalid function deployment: {problems}") from None
    _check_maxrate(deployment)
    for label in _INTEGER_LABELS:
        value = deployment.labels.get(label)
        if value is not None and not (_is_decimal(value) and int(value) > 0):
            raise DeploymentError(
                f"label {label} of {deployment.service} must be a positive integer, got '{value}'"
            )
    return deployment


def _is_decimal(text: str) -> bool:
    # str.isdigit() alone takes "²", which int() refuses.
    return text.isascii() and text.isdigit()


def _check_maxrate(deployment: FunctionDeployment) -> None:
    """The agent reads dfaas.maxrate as req/s: refuse at deploy what it could not use."""
    value = deployment.labels.get(MAXRATE_LABEL)
    if value is None:
        return
    try:
        rate = float(value)
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate < 0:
        raise DeploymentError(
            f"label {MAXRATE_LABEL} of {deployment.service} must be a number of requests per"
            f" second >= 0, got '{value}'"
        )


def function_limits(
    deployment: FunctionDeployment, *, default_max_inflight: int, default_timeout_seconds: float
) -> FunctionLimits:
    return FunctionLimits(
        max_inflight=_max_inflight(deployment, default_max_inflight),
        timeout_seconds=_timeout_seconds(deployment, default_timeout_seconds),
    )


def _max_inflight(deployment: FunctionDeployment, default: int) -> int:
    raw = deployment.env_vars.get("max_inflight", deployment.labels.get("dfaas.max_inflight"))
    if raw is None:
        return default
    if not _is_decimal(raw.strip()) or not 1 <= int(raw) <= MAX_INFLIGHT_LIMIT:
        raise DeploymentError(
            f"max_inflight of {deployment.service} must be an integer from 1 to"
            f" {MAX_INFLIGHT_LIMIT}, got '{raw}'"
        )
    return int(raw)


def _timeout_seconds(deployment: FunctionDeployment, default: float) -> float:
    exec_timeout = deployment.env_vars.get("exec_timeout")
    if exec_timeout is not None:
        try:
            return parse_duration(exec_timeout)
        except ValueError as error:
            raise DeploymentError(f"exec_timeout of {deployment.service}: {error}") from None
    timeout_ms = deployment.labels.get("dfaas.timeout_ms")
    if timeout_ms is not None:
        return int(timeout_ms) / 1000
    return default
