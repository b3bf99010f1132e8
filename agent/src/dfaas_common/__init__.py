"""Small helpers that the agent and the local function runtime share (standard library only)."""
