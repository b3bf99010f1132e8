"""The functions deployed on this node, each with its limits and its in-flight count."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from dfaas_gateway.deployment import (
    DeploymentError,
    FunctionDeployment,
    FunctionLimits,
    function_limits,
)
from dfaas_gateway.functions.base import BuiltinFunction
from dfaas_gateway.functions.catalog import BuiltinCatalog


class FunctionNotFoundError(LookupError):
    pass


class FunctionExistsError(ValueError):
    pass


@dataclass
class DeployedFunction:
    deployment: FunctionDeployment
    builtin: BuiltinFunction
    limits: FunctionLimits
    created_at: datetime
    inflight: int = 0
    invocation_count: int = 0
    # Set (and replaced) whenever a slot frees up, for the calls waiting for one.
    _slot_freed: anyio.Event | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.deployment.service

    def try_admit(self) -> bool:
        """Take an execution slot if one is free; never waits (the caller answers 429)."""
        if self.inflight >= self.limits.max_inflight:
            return False
        self.inflight += 1
        return True

    async def admit(self, wait_s: float) -> bool:
        """Take an execution slot, waiting up to `wait_s` for one to free up."""
        if self.try_admit():
            return True
        with anyio.move_on_after(wait_s):
            while True:
                if self._slot_freed is None:
                    self._slot_freed = anyio.Event()
                await self._slot_freed.wait()
                if self.try_admit():
                    return True
        return False

    def release(self) -> None:
        self.inflight -= 1
        if self._slot_freed is not None:
            self._slot_freed.set()
            self._slot_freed = None

    def status(self) -> dict[str, Any]:
        """The function as OpenFaaS's GET /system/functions describes it."""
        return {
            "name": self.name,
            "image": self.deployment.image,
            "envProcess": self.deployment.env_process or self.builtin.name,
            "envVars": dict(self.deployment.env_vars),
            "labels": dict(self.deployment.labels),
            "annotations": dict(self.deployment.annotations),
            "replicas": 1,
            "availableReplicas": 1,
            "invocationCount": self.invocation_count,
            "createdAt": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class FunctionDefaults:
    max_inflight: int
    timeout_seconds: float


class FunctionTable:
    def __init__(self, catalog: BuiltinCatalog, defaults: FunctionDefaults) -> None:
        self._catalog = catalog
        self._defaults = defaults
        self._functions: dict[str, DeployedFunction] = {}

    def get(self, name: str) -> DeployedFunction | None:
        return self._functions.get(name)

    def functions(self) -> list[DeployedFunction]:
        return [self._functions[name] for name in sorted(self._functions)]

    def deployments(self) -> list[FunctionDeployment]:
        return [function.deployment for function in self.functions()]

    def deploy(self, deployment: FunctionDeployment) -> DeployedFunction:
        if deployment.service in self._functions:
            raise FunctionExistsError(
                f"function {deployment.service} is already deployed (update it with PUT)"
            )
        function = self._prepare(deployment)
        self._functions[function.name] = function
        return function

    def update(self, deployment: FunctionDeployment) -> DeployedFunction:
        """New image, labels or limits; in-flight calls and counters carry over."""
        current = self._functions.get(deployment.service)
        if current is None:
            raise FunctionNotFoundError(f"function {deployment.service} is not deployed")
        replacement = self._prepare(deployment)
        current.deployment = replacement.deployment
        current.builtin = replacement.builtin
        current.limits = replacement.limits
        return current

    def remove(self, name: str) -> None:
        if self._functions.pop(name, None) is None:
            raise FunctionNotFoundError(f"function {name} is not deployed")

    def _prepare(self, deployment: FunctionDeployment) -> DeployedFunction:
        builtin = self._catalog.resolve(deployment.image, deployment.env_process)
        if builtin is None:
            raise DeploymentError(
                f"image {deployment.image!r} is not a built-in function of this runtime"
                f" (built-ins: {', '.join(self._catalog.names())})"
            )
        reason = builtin.unavailable_reason()
        if reason is not None:
            raise DeploymentError(f"built-in {builtin.name} cannot run on this node: {reason}")
        limits = function_limits(
            deployment,
            default_max_inflight=self._defaults.max_inflight,
            default_timeout_seconds=self._defaults.timeout_seconds,
        )
        return DeployedFunction(deployment, builtin, limits, created_at=datetime.now(UTC))
