"""shasum: SHA-512 of the body, printed as sha512sum prints it (the OpenFaaS store function)."""

import hashlib
from dataclasses import dataclass

import anyio

from dfaas_gateway.functions.base import FunctionOutput, Invocation

# Hashing a large body takes long enough to stall other requests: hashlib
# releases the GIL, so a thread keeps the event loop responsive.
_HASH_IN_THREAD_FROM_BYTES = 64 * 1024


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


@dataclass(frozen=True)
class Shasum:
    name: str = "shasum"
    summary: str = "hex SHA-512 of the request body, as sha512sum prints it"

    def unavailable_reason(self) -> str | None:
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        if len(invocation.body) >= _HASH_IN_THREAD_FROM_BYTES:
            digest = await anyio.to_thread.run_sync(sha512_hex, invocation.body)
        else:
            digest = sha512_hex(invocation.body)
        return FunctionOutput(f"{digest}  -\n".encode())
