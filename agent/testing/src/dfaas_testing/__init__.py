"""Test support for the agent: real processes on loopback and a throwaway PKI.

Code for tests, not for a running agent: a distribution of its own (`agent/testing/`),
left out of the agent's wheel, and nothing in the agent imports it. Its users are the
agent's own tests, the collection's integration tests (tests/integration) and the
benchmarks (experiments/). It uses only the agent's dependencies and never imports
pytest: fixtures stay in the users' conftest files, as thin wrappers.

- `pki`: `FederationPki`, a CA that issues per-peer certificates (CN and SAN = peer ID);
- `processes`: bounded waits, free ports, child processes with a log;
- `haproxy`: a master-worker HAProxy on a layout that the agent's controller renders;
- `federation`: `start_federation`, gateway + HAProxy + agent per node on 127.0.0.x.
"""

from dfaas_testing.federation import (
    FIRST_ADDRESS,
    Binaries,
    Federation,
    Node,
    Ports,
    start_federation,
)
from dfaas_testing.haproxy import HAProxyProcess, find_haproxy, master_reloads, start_haproxy
from dfaas_testing.pki import FederationPki, IssuedCertificate
from dfaas_testing.processes import (
    STOP_WAIT_S,
    WAIT_S,
    LaunchError,
    WaitTimeout,
    check_running,
    find_binary,
    free_port,
    free_udp_port,
    log_tail,
    processes_mentioning,
    start_process,
    stop_process,
    wait_until,
    wait_while_running,
)

__all__ = [
    "FIRST_ADDRESS",
    "STOP_WAIT_S",
    "WAIT_S",
    "Binaries",
    "Federation",
    "FederationPki",
    "HAProxyProcess",
    "IssuedCertificate",
    "LaunchError",
    "Node",
    "Ports",
    "WaitTimeout",
    "check_running",
    "find_binary",
    "find_haproxy",
    "free_port",
    "free_udp_port",
    "log_tail",
    "master_reloads",
    "processes_mentioning",
    "start_federation",
    "start_haproxy",
    "start_process",
    "stop_process",
    "wait_until",
    "wait_while_running",
]
