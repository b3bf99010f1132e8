"""Client of the FaaS gateway API (OpenFaaS, or the local `dfaas-gateway` runtime)."""

from dfaas_agent.function_runtime.client import DeployedFunction, GatewayClient, GatewayUnavailable

__all__ = ["DeployedFunction", "GatewayClient", "GatewayUnavailable"]
