"""cpuburn: a bounded amount of real CPU work chosen by the request.

The work (chained SHA-256 rounds, ?rounds=N or N in the body) runs in a
bounded pool of worker processes, so it uses real CPUs without blocking the
event loop; a timeout kills the worker.
"""

import json
from dataclasses import dataclass

import anyio
import anyio.to_process

from dfaas_gateway.functions.base import FunctionOutput, Invocation, int_parameter
from dfaas_gateway.functions.cpu_work import chained_sha256

DEFAULT_ROUNDS = 100_000
MAX_ROUNDS = 5_000_000


@dataclass(frozen=True)
class CpuBurn:
    workers: anyio.CapacityLimiter
    name: str = "cpuburn"
    summary: str = f"N chained SHA-256 rounds in a worker process (?rounds=N, N <= {MAX_ROUNDS})"

    def unavailable_reason(self) -> str | None:
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        rounds = int_parameter(
            invocation, "rounds", default=DEFAULT_ROUNDS, minimum=1, maximum=MAX_ROUNDS
        )
        digest = await anyio.to_process.run_sync(
            chained_sha256, rounds, cancellable=True, limiter=self.workers
        )
        return FunctionOutput(
            json.dumps({"rounds": rounds, "digest": digest}).encode(), "application/json"
        )
