"""Reference policy endpoint for the agent's strategy `external` (command `dfaas-policy`)."""
