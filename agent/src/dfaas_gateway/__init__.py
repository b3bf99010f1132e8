"""OpenFaaS-gateway-compatible local function runtime for testbeds and small nodes."""
