"""Everything one running gateway shares between requests."""

from dataclasses import dataclass, field

import anyio
from starlette.requests import Request

from dfaas_gateway.function_table import FunctionTable
from dfaas_gateway.metrics import GatewayMetrics
from dfaas_gateway.state_file import StateFile


class BodyTooLargeError(Exception):
    pass


@dataclass
class GatewayRuntime:
    node_name: str
    table: FunctionTable
    state_file: StateFile
    metrics: GatewayMetrics
    max_body_bytes: int
    # How long a call waits for a busy function's slot before its 429 (0: refused at once).
    slot_wait_seconds: float = 0.0
    # Serialises deploy/update/remove with the state-file write that follows.
    changes: anyio.Lock = field(default_factory=anyio.Lock)

    async def persist(self) -> None:
        await anyio.to_thread.run_sync(self.state_file.save, self.table.deployments())

    async def read_body(self, request: Request) -> bytes:
        """The request body, refused as soon as it grows past the configured limit."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLargeError(f"request body exceeds {self.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
