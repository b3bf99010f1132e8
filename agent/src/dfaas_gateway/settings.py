"""The runtime's configuration, validated once by the command line and passed down."""

from dataclasses import dataclass
from pathlib import Path

from dfaas_gateway.auth import BasicAuth

DEFAULT_MAX_INFLIGHT = 64
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class GatewaySettings:
    listen_host: str
    listen_port: int
    state_file: Path
    node_name: str
    figlet_binary: str
    tesseract_binary: str = "/usr/bin/tesseract"
    preload: tuple[str, ...] = ()
    default_max_inflight: int = DEFAULT_MAX_INFLIGHT
    default_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    cpu_workers: int = 1
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    slot_wait_seconds: float = 0.0
    # None: function management is open to whoever reaches the listen address.
    basic_auth: BasicAuth | None = None

    @property
    def bind(self) -> str:
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"{host}:{self.listen_port}"
