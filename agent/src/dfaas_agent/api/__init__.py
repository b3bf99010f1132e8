"""The agent's HTTP API: `/healthz`, `/metrics`, `/status`."""

from dfaas_agent.api.app import AgentView, create_app
from dfaas_agent.api.server import serve

__all__ = ["AgentView", "create_app", "serve"]
