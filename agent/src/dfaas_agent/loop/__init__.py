"""The agent's wiring layer: conversions, observation assembly and the control loop's parts.

`dfaas_agent.agent.Agent` runs the loop; the modules here are its small, testable pieces.
"""
