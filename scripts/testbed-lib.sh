# shellcheck shell=bash
# What scripts/demo.sh and scripts/testbed-campaign.sh share: the environment in which
# the playbooks find this checkout as dfaas.edge, and a progress line for long steps.
# Sourced, not run; expects $repo (the checkout) and $venv (its virtualenv), and sets
# $inventory (the testbed inventory) for the caller.
# shellcheck disable=SC2154,SC2034

log() { echo "${log_prefix:-testbed}: $*" >&2; }

# testbed_environment: playbooks resolve dfaas.edge.* to this checkout; containers.podman
# and the others come from the `ansible` package in the virtualenv.
testbed_environment() {
  [[ -x "$venv/bin/ansible-playbook" ]] || { log "no virtualenv at $venv (run: make venv)"; exit 1; }
  [[ $EUID -eq 0 ]] || { log "must run as root (rootful Podman)"; exit 1; }
  local collections="${XDG_CACHE_HOME:-$HOME/.cache}/dfaas-edge/demo-collections"
  mkdir -p "$collections/ansible_collections/dfaas"
  ln -sfn "$repo" "$collections/ansible_collections/dfaas/edge"
  export ANSIBLE_COLLECTIONS_PATH="$collections"
  export CONTAINERS_CONF="$repo/containers/containers.conf"
  export ANSIBLE_FORCE_COLOR=false
  export PATH="$venv/bin:$PATH"
  inventory="$repo/inventories/testbed"
}

# with_progress LABEL LOG COMMAND...: run COMMAND with its output in LOG and, every
# 15 s while it runs, one line with the elapsed time and the step it is at (the last
# Ansible TASK or PLAY line of LOG), so that a long step never looks stuck.
with_progress() {
  local label=$1 log_file=$2; shift 2
  local began=$SECONDS pid status at
  "$@" >"$log_file" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 15); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null || break
    at=$(grep -E '^(TASK|PLAY) \[' "$log_file" 2>/dev/null | tail -n 1 | sed -E 's/ \*+$//' || true)
    log "  $label: $((SECONDS - began)) s${at:+, at $at}"
  done
  status=0
  wait "$pid" || status=$?
  log "  $label: done in $((SECONDS - began)) s"
  return "$status"
}
