"""nodeinfo: which node served the request (node name, hostname, CPUs...), for tracing."""

import json
import os
import platform
import socket
from dataclasses import dataclass
from pathlib import Path

from dfaas_gateway.functions.base import FunctionOutput, Invocation


def _uptime_seconds() -> float | None:
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


@dataclass(frozen=True)
class NodeInfo:
    node_name: str
    name: str = "nodeinfo"
    summary: str = "the node that served the request (text, or JSON with ?format=json)"

    def unavailable_reason(self) -> str | None:
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        facts = {
            "node": self.node_name,
            "hostname": socket.gethostname(),
            "arch": platform.machine(),
            "cpus": os.cpu_count(),
            "total_memory_bytes": _total_memory_bytes(),
            "platform": platform.system(),
            "uptime_seconds": _uptime_seconds(),
        }
        if invocation.query.get("format") == "json":
            return FunctionOutput(json.dumps(facts).encode(), "application/json")
        text = "".join(f"{key}: {value}\n" for key, value in facts.items())
        return FunctionOutput(text.encode())
