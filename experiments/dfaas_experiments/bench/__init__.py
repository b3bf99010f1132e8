"""`make bench`: a 3-node loopback federation run as processes, and what it costs.

Forwarding overhead, reaction time to an overload, failures during hitless
HAProxy reloads under load, and the agent's own footprint. Figures go to a
report; nothing here asserts a duration.
"""
