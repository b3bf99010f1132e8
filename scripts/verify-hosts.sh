#!/usr/bin/env bash
# Check DFaaS nodes from inside, over the inventory's own connections (pytest-testinfra,
# tests/hosts): services enabled and running, what listens beyond loopback, kernel
# settings, open-files limits, the firewall and the ports between members.
#
#   scripts/verify-hosts.sh INVENTORY [PYTEST ARGS...]
#
# INVENTORY is an inventory of SSH-reachable nodes in group dfaas_nodes (the SSH testbed's
# inventories/testbed, the VM testbed's, or your own after setup.yml and federate.yml).
# Every command runs through Ansible (password, become, OpenSSH or paramiko as the
# inventory says), so a check costs about a second per node.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
inventory="${1:?usage: scripts/verify-hosts.sh INVENTORY [PYTEST ARGS...]}"
shift
[[ -e "$inventory" ]] || { echo "verify-hosts: no inventory at '$inventory'" >&2; exit 2; }
[[ -x "$venv/bin/pytest" ]] || { echo "verify-hosts: no virtualenv at $venv (run: make venv)" >&2; exit 1; }

export PATH="$venv/bin:$PATH"
exec "$venv/bin/pytest" -p no:cacheprovider --rootdir "$repo/tests/hosts" \
  --hosts "ansible://dfaas_nodes" --ansible-inventory "$inventory" --force-ansible \
  "$repo/tests/hosts" "$@"
