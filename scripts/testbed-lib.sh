# shellcheck shell=bash
# What the testbed scripts share (scripts/demo.sh, scripts/testbed-campaign.sh,
# scripts/testbed-vm.sh, containers/build-node-image.sh): the environment in which the
# playbooks find this checkout as dfaas.edge, a progress line for long steps, and the
# Debian mirrors that debootstrap and the nodes' apt use.
# Sourced, not run; testbed_environment expects $repo (the checkout) and $venv (its
# virtualenv), and sets $inventory (the testbed inventory) for the caller.
# shellcheck disable=SC2154,SC2034

log() { echo "${log_prefix:-testbed}: $*" >&2; }

# collection_environment: playbooks resolve dfaas.edge.* to this checkout (one link per
# checkout); containers.podman and the others come from the `ansible` package in the
# virtualenv, which comes first on PATH.
collection_environment() {
  [[ -x "$venv/bin/ansible-playbook" ]] || { log "no virtualenv at $venv (run: make venv)"; exit 1; }
  local collections
  collections="${XDG_CACHE_HOME:-$HOME/.cache}/dfaas-edge/collections-$(printf %s "$repo" | md5sum | cut -c1-8)"
  mkdir -p "$collections/ansible_collections/dfaas"
  ln -sfn "$repo" "$collections/ansible_collections/dfaas/edge"
  export ANSIBLE_COLLECTIONS_PATH="$collections"
  export ANSIBLE_FORCE_COLOR=false
  export PATH="$venv/bin:$PATH"
}

# testbed_environment: collection_environment, and the project's Podman settings.
testbed_environment() {
  [[ $EUID -eq 0 ]] || { log "must run as root (rootful Podman)"; exit 1; }
  collection_environment
  export CONTAINERS_CONF="$repo/containers/containers.conf"
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

# debian_mirrors: set $debian_mirror and $debian_security_mirror to the Debian mirrors this
# host already uses (deb822 or one-line apt sources), unless DFAAS_DEBIAN_MIRROR or
# DFAAS_DEBIAN_SECURITY_MIRROR say otherwise; deb.debian.org where the host names none.
_host_mirror() {  # $1: regex the URI path must match
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+' | grep -E "$1" | head -n1 || true
}
debian_mirrors() {
  debian_mirror="${DFAAS_DEBIAN_MIRROR:-$(_host_mirror '/debian/?$')}"
  debian_mirror="${debian_mirror:-http://deb.debian.org/debian}"
  debian_security_mirror="${DFAAS_DEBIAN_SECURITY_MIRROR:-$(_host_mirror '/debian-security/?$')}"
  debian_security_mirror="${debian_security_mirror:-http://deb.debian.org/debian-security}"
}

# debian_sources_list ROOT: bookworm's main, updates and security suites from those mirrors,
# as ROOT/etc/apt/sources.list (call debian_mirrors first).
debian_sources_list() {
  cat >"$1/etc/apt/sources.list" <<SOURCES
deb $debian_mirror bookworm main
deb $debian_mirror bookworm-updates main
deb $debian_security_mirror bookworm-security main
SOURCES
}
