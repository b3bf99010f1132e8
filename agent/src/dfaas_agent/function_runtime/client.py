"""Read the deployed functions and their DFaaS labels from a FaaS gateway.

OpenFaaS and our local runtime share this API: `GET /system/functions` returns a JSON
list of objects with `name`, `replicas`, `invocationCount` and `labels`; the labels
`dfaas.maxrate` (req/s) and `dfaas.timeout_ms` tune the strategies. The execution
slots of a function are what its runtime runs at once: the watchdog's `max_inflight`
(env var, or the `dfaas.max_inflight` label) times its available replicas; without
either, they are unknown. A label that does not parse is reported and treated as
absent: one bad label must not stop the control loop for every other function (the
prototype aborted the whole step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import httpx

MAXRATE_LABEL = "dfaas.maxrate"
TIMEOUT_LABEL = "dfaas.timeout_ms"
MAX_INFLIGHT_LABEL = "dfaas.max_inflight"
MAX_INFLIGHT_ENV = "max_inflight"


class GatewayUnavailable(Exception):
    """The gateway did not answer, or answered something that is not the function list."""


@dataclass(frozen=True, slots=True)
class DeployedFunction:
    name: str
    maxrate: float | None
    timeout_ms: int | None
    replicas: int
    invocation_count: float
    labels: dict[str, str] = field(default_factory=dict)
    label_errors: tuple[str, ...] = ()
    """Labels that were present but invalid, each as `label: reason`."""
    slots: int | None = None
    """Requests the runtime runs at once (max_inflight x replicas); None: unknown."""


def _parse_maxrate(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number >= 0, got {text!r}")
    return value


def _parse_timeout_ms(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"must be a positive integer, got {text!r}")
    return value


def parse_function(entry: object) -> DeployedFunction:
    """One element of `GET /system/functions`; ValueError when it is not a function."""
    if not isinstance(entry, dict):
        raise ValueError(f"expected an object, got {type(entry).__name__}")  # noqa: TRY004
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("function without a name")
    raw_labels = entry.get("labels") or {}
    if not isinstance(raw_labels, dict):
        raise ValueError(f"{name}: labels must be an object")  # noqa: TRY004
    labels = {str(key): str(value) for key, value in raw_labels.items()}

    errors: list[str] = []
    maxrate: float | None = None
    timeout_ms: int | None = None
    if MAXRATE_LABEL in labels:
        try:
            maxrate = _parse_maxrate(labels[MAXRATE_LABEL])
        except ValueError as exc:
            errors.append(f"{MAXRATE_LABEL}: {exc}")
    if TIMEOUT_LABEL in labels:
        try:
            timeout_ms = _parse_timeout_ms(labels[TIMEOUT_LABEL])
        except ValueError as exc:
            errors.append(f"{TIMEOUT_LABEL}: {exc}")

    replicas = entry.get("replicas", 0)
    invocations = entry.get("invocationCount", 0)
    slots = _slots(name, entry, labels, errors)
    return DeployedFunction(
        name=name,
        maxrate=maxrate,
        timeout_ms=timeout_ms,
        replicas=int(replicas) if isinstance(replicas, int | float) else 0,
        invocation_count=float(invocations) if isinstance(invocations, int | float) else 0.0,
        labels=labels,
        label_errors=tuple(errors),
        slots=slots,
    )


def _slots(
    name: str, entry: dict[str, object], labels: dict[str, str], errors: list[str]
) -> int | None:
    env_vars = entry.get("envVars")
    raw = env_vars.get(MAX_INFLIGHT_ENV) if isinstance(env_vars, dict) else None
    source = f"envVars.{MAX_INFLIGHT_ENV}"
    if raw is None:
        raw, source = labels.get(MAX_INFLIGHT_LABEL), MAX_INFLIGHT_LABEL
    if raw is None:
        return None
    text = str(raw).strip()
    if not text.isdigit() or int(text) < 1:
        errors.append(f"{source}: must be a positive integer, got {raw!r}")
        return None
    # A function scaled to zero still gets a request through (OpenFaaS scales it up).
    available = entry.get("availableReplicas", entry.get("replicas", 1))
    replicas = int(available) if isinstance(available, int | float) and available >= 1 else 1
    return int(text) * replicas


class GatewayClient:
    """Async client; `transport` lets tests put a fake at the HTTP edge."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 3.0,
        auth: tuple[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Drop idle connections well before a gateway would (hypercorn closes them after
        # 5 s by default): reusing one that the server is closing gives a reset.
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout_s,
            auth=auth,
            transport=transport,
            limits=httpx.Limits(keepalive_expiry=2.0),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def list_functions(self) -> list[DeployedFunction]:
        url = f"{self.base_url}/system/functions"
        try:
            response = await self._client.get("/system/functions")
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayUnavailable(f"{url}: {exc}") from exc
        if not isinstance(body, list):
            raise GatewayUnavailable(f"{url}: expected a JSON list, got {type(body).__name__}")
        functions = []
        for index, entry in enumerate(body):
            try:
                functions.append(parse_function(entry))
            except ValueError as exc:
                raise GatewayUnavailable(f"{url}: entry {index}: {exc}") from exc
        return sorted(functions, key=lambda function: function.name)

    async def healthy(self) -> bool:
        try:
            response = await self._client.get("/healthz")
        except httpx.HTTPError:
            return False
        return response.status_code == httpx.codes.OK
