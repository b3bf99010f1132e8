#!/usr/bin/env bash
# `make testbed-ssh`: the local testbed reached as real VMs are, then checked from inside.
#
#   scripts/testbed-ssh.sh [--nodes N] [--keep] [--out DIR]
#   scripts/testbed-ssh.sh --down
#
# 1. builds the node image (containers/build-node-image.sh, reused when unchanged);
# 2. runs playbooks/testbed.yml -e dfaas_testbed_connection=ssh: N containers (default 3)
#    with sshd, a non-root user with a password and sudo; setup.yml and federate.yml
#    reach them over SSH only, with the inventory shape of inventories/sample (host,
#    user, password, become), nodes alternating between Ansible's OpenSSH and paramiko
#    connections, the prereq firewall on in each node's network namespace;
# 3. pings every node through its connection, then runs the host checks
#    (scripts/verify-hosts.sh: services, listeners and their addresses, kernel
#    settings, limits, firewall rules, member ports between nodes and from outside);
# 4. removes the testbed, unless --keep.
# Prints each phase's time. Traffic goes only to the testbed's own containers.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
nodes=3
keep=false
down=false
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a number}"; shift ;;
    --keep) keep=true ;;
    --down) down=true ;;
    --out) out="${2:?--out needs a folder}"; shift ;;
    *) echo "testbed-ssh: unknown argument '$1' (expected --nodes N, --keep, --out DIR or --down)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$nodes" =~ ^[1-9]$ ]] || { echo "testbed-ssh: --nodes must be 1..9, got '$nodes'" >&2; exit 2; }

log_prefix=testbed-ssh
# shellcheck source=scripts/testbed-lib.sh
source "$repo/scripts/testbed-lib.sh"
testbed_environment

remove_testbed() { timeout 300 ansible-playbook "$repo/playbooks/testbed_down.yml" >"$out/down.log" 2>&1; }

out="${out:-$repo/build/testbed-ssh-runs/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if $down; then
  log "removing the testbed"
  remove_testbed
  exit 0
fi

phase() {  # phase NAME SECONDS_AT_START: one line of the phase's wall time
  log "$1: $((SECONDS - $2)) s"
  echo "$1 $((SECONDS - $2))" >>"$out/times.txt"
}

failed() {
  log "$1 failed (log: $2)"
  tail -n 30 "$2" >&2
  if ! $keep; then log "removing the testbed (--keep keeps it for a look)"; remove_testbed || true; fi
  exit 1
}

# The Podman testbed (make demo) uses the same containers and inventory: never take it over.
if [[ -e "$inventory/hosts.yml" ]] && ! grep -q '^ *ansible_password:' "$inventory/hosts.yml"; then
  log "the Podman testbed of 'make demo' is up ($inventory/hosts.yml): remove it first (make demo-down)"
  exit 1
fi

began=$SECONDS
at=$SECONDS
log "1/4 node image"
with_progress "node image" "$out/image.log" timeout 1200 "$repo/containers/build-node-image.sh" \
  || failed "the node image build" "$out/image.log"
phase image "$at"

at=$SECONDS
log "2/4 $nodes nodes over SSH: testbed.yml, setup.yml, federate.yml (about 5 min on 2 cores)"
with_progress "testbed" "$out/testbed.log" timeout 2400 ansible-playbook -i "$inventory" \
  "$repo/playbooks/testbed.yml" -e dfaas_testbed_connection=ssh -e "dfaas_testbed_nodes=$nodes" \
  || failed "testbed.yml over SSH" "$out/testbed.log"
phase testbed "$at"

at=$SECONDS
log "3/4 every node answers through its own connection (OpenSSH or paramiko)"
timeout 300 ansible -i "$inventory" dfaas_nodes -m ansible.builtin.ping >"$out/ping.log" 2>&1 \
  || failed "ping over SSH" "$out/ping.log"
grep -c '"ping": "pong"' "$out/ping.log" | grep -qx "$nodes" || failed "ping over SSH" "$out/ping.log"
phase ping "$at"

at=$SECONDS
log "4/4 host checks from inside each node (tests/hosts; about a minute per node)"
with_progress "host checks" "$out/verify.log" timeout 1200 "$repo/scripts/verify-hosts.sh" \
  "$inventory" -rA --junitxml "$out/verify.xml" || failed "the host checks" "$out/verify.log"
tail -n 1 "$out/verify.log" >&2
phase verify "$at"

if ! $keep; then
  at=$SECONDS
  remove_testbed || failed "removing the testbed" "$out/down.log"
  phase down "$at"
fi
log "done in $((SECONDS - began)) s; logs and times in $out"
