"""`dfaas-agent run`, the top of the agent: real adapters wired into an `Agent`, run until a
signal, the configuration read again on SIGHUP.

Only `dfaas_agent.cli` imports this package; nothing below it (`agent.py`, `loop/`, the
adapters) imports it back.
"""

from dfaas_agent.service.reload import Loader, RunInputs, file_sha256
from dfaas_agent.service.run import configure_logging, prepare, real_agent, run_until_signal

__all__ = [
    "Loader",
    "RunInputs",
    "configure_logging",
    "file_sha256",
    "prepare",
    "real_agent",
    "run_until_signal",
]
