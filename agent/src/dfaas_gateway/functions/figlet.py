"""figlet: ASCII-art rendering of the body by the real figlet program.

The Debian figlet binary is what the OpenFaaS store function wraps, so the
output is the same; running it as a subprocess keeps the event loop free and
lets a timeout kill it.
"""

import os
from dataclasses import dataclass

import anyio

from dfaas_gateway.functions.base import FunctionInputError, FunctionOutput, Invocation

MAX_FIGLET_INPUT_BYTES = 4096


@dataclass(frozen=True)
class Figlet:
    binary: str
    name: str = "figlet"
    summary: str = "ASCII-art rendering of the request body (figlet)"

    def unavailable_reason(self) -> str | None:
        if not os.access(self.binary, os.X_OK):
            return f"figlet binary {self.binary} is missing (apt-get install figlet)"
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        if len(invocation.body) > MAX_FIGLET_INPUT_BYTES:
            raise FunctionInputError(
                f"{invocation.function_name}: input is limited to {MAX_FIGLET_INPUT_BYTES} bytes"
            )
        result = await anyio.run_process([self.binary], input=invocation.body, check=False)
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise RuntimeError(f"figlet exited with {result.returncode}: {message}")
        return FunctionOutput(result.stdout)
