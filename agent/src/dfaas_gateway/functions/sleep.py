"""sleep: waits a requested time without using CPU (an I/O-bound function)."""

from dataclasses import dataclass

import anyio

from dfaas_gateway.functions.base import FunctionOutput, Invocation, int_parameter

MAX_SLEEP_MS = 60_000


@dataclass(frozen=True)
class Sleep:
    name: str = "sleep"
    summary: str = f"waits ?ms=N milliseconds (N <= {MAX_SLEEP_MS}) and says so"

    def unavailable_reason(self) -> str | None:
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        milliseconds = int_parameter(invocation, "ms", default=100, minimum=0, maximum=MAX_SLEEP_MS)
        await anyio.sleep(milliseconds / 1000)
        return FunctionOutput(f"slept {milliseconds} ms\n".encode())
