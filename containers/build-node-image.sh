#!/usr/bin/env bash
# Build the dfaas.edge node image with no registry:
#   1. a Debian bookworm rootfs from debootstrap, imported as dfaas-base:bookworm;
#   2. containers/node/Containerfile on top, tagged
#      localhost/dfaas-node:<hash of Containerfile + this script> and :latest.
# Idempotent: an image whose tag matches the current hash is reused (fast path),
# so it rebuilds only when the Containerfile or this script changes.
# Prints the image reference on stdout as its last line; progress goes to stderr.
#
# Usage: containers/build-node-image.sh [--force] [--print-tag]
#   --force      rebuild the base and the node image even if they exist
#   --print-tag  only print the reference the current sources would produce
# Environment: DFAAS_DEBIAN_MIRROR, DFAAS_DEBIAN_SECURITY_MIRROR override the
# mirrors taken from the host's apt sources; CONTAINERS_CONF defaults to the
# project's containers/containers.conf.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base_image="localhost/dfaas-base:bookworm"
node_repo="localhost/dfaas-node"
containerfile="$here/node/Containerfile"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

force=false
print_tag=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --print-tag) print_tag=true ;;
    *) echo "build-node-image: unknown argument '$arg' (expected --force or --print-tag)" >&2; exit 2 ;;
  esac
done

log() { echo "build-node-image: $*" >&2; }

sources_hash="$(cat "$containerfile" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
node_image="$node_repo:$sources_hash"
if $print_tag; then
  echo "$node_image"
  exit 0
fi

for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { log "'$tool' is not installed (apt-get install -y podman runc debootstrap)"; exit 1; }
done
[[ $EUID -eq 0 ]] || { log "must run as root (debootstrap and rootful podman)"; exit 1; }

# One build at a time on this machine (testbed and molecule may both call us).
exec 9>"/run/lock/dfaas-build-node-image.lock"
flock --timeout 900 9 || { log "another build held the lock for 15 minutes"; exit 1; }

image_exists() { podman image exists "$1"; }
image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# A rebuild moves the tags; drop the images they pointed to unless still in use.
old_ids=()
if $force; then
  old_ids=("$(image_id "$node_image")" "$(image_id "$base_image")")
fi

# The Debian mirrors this host already uses (scripts/testbed-lib.sh).
log_prefix=build-node-image
# shellcheck source=scripts/testbed-lib.sh
source "$here/../scripts/testbed-lib.sh"
debian_mirrors
mirror=$debian_mirror

rootfs=""
remove_rootfs() { if [[ -n "$rootfs" ]]; then rm -rf "$rootfs"; rootfs=""; fi; }
trap remove_rootfs EXIT

build_base() {
  rootfs="$(mktemp -d /var/tmp/dfaas-rootfs.XXXXXX)"
  log "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
  debian_sources_list "$rootfs"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  log "importing the rootfs as $base_image"
  tar -C "$rootfs" -c . | podman import --message "debootstrap minbase bookworm" - "$base_image" >&2
  remove_rootfs
}

if $force || ! image_exists "$base_image"; then
  build_base
else
  log "base image $base_image present"
fi

if ! $force && image_exists "$node_image"; then
  log "node image $node_image present (sources unchanged): nothing to build"
else
  log "building $node_image"
  podman build --pull=never --layers=false --tag "$node_image" \
    --label "org.dfaas.sources-hash=$sources_hash" \
    --file "$containerfile" "$here/node" >&2
fi
podman tag "$node_image" "$node_repo:latest"

# Smoke check of the container stack with our settings (runc, netavark and its
# firewall, aardvark-dns): a container on a network of its own starts and finds
# itself by name. Costs a second; fails here instead of deep inside molecule.
smoke_network="dfaas-smoke-$$"
smoke_failed() { log "smoke check failed: $1 (are netavark, aardvark-dns and iptables installed? scripts/install-system-deps.sh)"; podman network rm -f "$smoke_network" >/dev/null 2>&1 || true; exit 1; }
podman network create "$smoke_network" >/dev/null 2>&1 || smoke_failed "podman network create"
podman run --rm --network "$smoke_network" --name "$smoke_network-node" "$node_image" \
  getent hosts "$smoke_network-node" >/dev/null 2>&1 || smoke_failed "a container on $smoke_network cannot start or resolve its name"
podman network rm -f "$smoke_network" >/dev/null
for old_id in "${old_ids[@]}"; do
  if [[ -n "$old_id" && "$old_id" != "$(image_id "$node_image")" && "$old_id" != "$(image_id "$base_image")" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || log "kept replaced image $old_id (still in use)"
  fi
done
echo "$node_image"
