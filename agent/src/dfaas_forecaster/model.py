"""A linear model of a node's usage at a load: idle usage plus a cost per req/s of each
usage group. The prototype trains LightGBM models per node type; this one is a
reference that needs no training data, with coefficients a user measures (for example
from the agent's /status at a few loads)."""

from __future__ import annotations

import math
from dataclasses import dataclass

GROUPS = ("HIGH", "MEDIUM", "LOW")
NODE_TYPES = (0, 1, 2)


class ForecastInputError(ValueError):
    """The request is not a load the model can forecast; the message names the field."""


@dataclass(frozen=True)
class Coefficients:
    """Idle usage and the cost of one req/s per usage group (HIGH, MEDIUM, LOW)."""

    idle: float
    per_request: tuple[float, float, float]

    def at(self, rates: tuple[float, float, float]) -> float:
        return self.idle + math.fsum(c * r for c, r in zip(self.per_request, rates, strict=True))


@dataclass(frozen=True)
class LinearModel:
    cpu_percent: Coefficients
    ram_bytes: Coefficients
    power_microwatts: Coefficients | None = None

    def forecast(self, request: object) -> dict[str, float]:
        rates = _rates(request)
        answer = {
            "cpu_usage_node": round(self.cpu_percent.at(rates), 2),
            "ram_usage_node": round(self.ram_bytes.at(rates), 2),
        }
        if self.power_microwatts is not None:
            answer["power_usage_node"] = round(self.power_microwatts.at(rates), 2)
        return answer


def _rates(request: object) -> tuple[float, float, float]:
    if not isinstance(request, dict):
        raise ForecastInputError("the body must be a JSON object")
    node_type = request.get("node_type", 1)
    if node_type not in NODE_TYPES or isinstance(node_type, bool):
        raise ForecastInputError(f"node_type must be 0, 1 or 2, got {node_type!r}")
    rates = []
    for group in GROUPS:
        key = f"rate_group_{group}_USAGE"
        value = request.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ForecastInputError(f"{key} must be a number of req/s, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ForecastInputError(f"{key} must be finite and >= 0, got {value}")
        rates.append(float(value))
    return rates[0], rates[1], rates[2]
