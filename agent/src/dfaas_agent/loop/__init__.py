"""The control loop's small, testable parts: conversions, observation assembly, component
health, the kept plan and the configuration record.

`dfaas_agent.agent.Agent` runs the loop on them; nothing here imports the agent back.
"""
