#!/usr/bin/env bash
# The fresh-machine check: does a clean Debian 12 get everything the demo and the
# tests call from the project's own install step, whatever this machine has?
#
#   1. a clean bookworm root from debootstrap (minbase: less than any real machine
#      starts with), cached as a tarball between runs;
#   2. the tree under test copied in, its scripts/install-system-deps.sh run there
#      (chroot, with proc/sys/dev mounted and no daemon started);
#   3. the smoke check of *this* checkout run there with --check-only, so that an
#      older tree's package list is judged by today's list of tools;
#   4. with --venv: `make venv` in there too, on Debian's own python3 (the wheels that
#      compile need headers and libraries that a pyenv Python hides).
#
# Usage: scripts/fresh-machine-check.sh [--tree DIR] [--venv] [--refresh]
#   --tree DIR   check that checkout's install step (default: this one)
#   --venv       also build the project's virtualenv inside the root
#   --refresh    rebuild the cached root
# Environment: DFAAS_FRESH_CACHE (default ~/.cache/dfaas-edge/fresh-machine),
# DFAAS_DEBIAN_MIRROR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checker_root="$(cd "$here/.." && pwd)"
tree="$checker_root" with_venv=false refresh=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tree) tree="$(cd "${2:?--tree needs a folder}" && pwd)"; shift 2 ;;
    --venv) with_venv=true; shift ;;
    --refresh) refresh=true; shift ;;
    *) echo "fresh-machine-check: unknown argument '$1' (expected --tree DIR, --venv or --refresh)" >&2; exit 2 ;;
  esac
done
log() { echo "fresh-machine-check: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root (debootstrap, chroot, mounts)"; exit 1; }
command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }

cache="${DFAAS_FRESH_CACHE:-$HOME/.cache/dfaas-edge/fresh-machine}"
mirror="${DFAAS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root_tarball="$cache/bookworm-minbase.tar"
mkdir -p "$cache/apt-archives/partial" "$cache/pip"

if $refresh || [ ! -s "$root_tarball" ]; then
  build="$(mktemp -d /var/tmp/dfaas-fresh-build.XXXXXX)"
  log "debootstrap --variant=minbase bookworm from $mirror (cached in $root_tarball)"
  if ! debootstrap --variant=minbase bookworm "$build" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    log "debootstrap failed; its log: $cache/debootstrap.log"; rm -rf "$build"; exit 1
  fi
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$build/etc/apt/sources.list"
  rm -rf "$build"/var/cache/apt/archives/*.deb "$build"/var/lib/apt/lists/*
  tar -C "$build" -cf "$root_tarball.tmp" . && mv "$root_tarball.tmp" "$root_tarball"
  rm -rf "$build"
fi

root="$(mktemp -d /var/tmp/dfaas-fresh-root.XXXXXX)"
mounted=()
cleanup() {
  local i mount_point
  # Ours, and whatever the tools mounted inside (podman's overlay storage), deepest first.
  while read -r mount_point; do umount -l "$mount_point" 2>/dev/null || true; done \
    < <(awk -v root="$root" 'index($2, root "/") == 1 { print $2 }' /proc/mounts | sort -r)
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mounted+=("$2"); }

tar -C "$root" -xf "$root_tarball"
mount -t proc proc "$root/proc"; mounted+=("$root/proc")
mount -t sysfs sysfs "$root/sys"; mounted+=("$root/sys")
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/run"; mounted+=("$root/run")
mkdir -p "$root/run/lock"
bind "$cache/apt-archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The network this machine is on, not the project: local CAs (an egress proxy's, say)
# join the root's bundle when the install step's ca-certificates sets it up.
mkdir -p "$root/usr/local/share/ca-certificates"
cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
# Packages must not start their daemons in here.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
# apt as root in a chroot: no _apt sandbox user for the bind-mounted archive cache.
echo 'APT::Sandbox::User "root";' >"$root/etc/apt/apt.conf.d/90dfaas-no-sandbox"

# The tree under test (tracked and untracked-but-not-ignored files), and the checker.
mkdir -p "$root/src/tree" "$root/src/checker"
(cd "$tree" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$root/src/tree" -xf -
(cd "$checker_root" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$root/src/checker" -xf -

# A clean environment, but for the trust store that pip must use behind such a proxy.
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    "$@"
}

log "running $tree/scripts/install-system-deps.sh in a clean bookworm root"
started=$SECONDS
in_root bash /src/tree/scripts/install-system-deps.sh
log "install step took $((SECONDS - started)) s; checking every tool with this checkout's smoke check"
in_root bash /src/checker/scripts/install-system-deps.sh --check-only

if $with_venv; then
  bind "$cache/pip" "$root/root/.cache/pip"
  log "make venv on Debian's python3 in the clean root"
  started=$SECONDS
  in_root make -C /src/tree venv PYTHON=/usr/bin/python3
  in_root /src/tree/.venv/bin/dfaas-agent --help >/dev/null
  log "make venv took $((SECONDS - started)) s"
fi
log "PASSED: a clean Debian 12 root gets every tool from $tree's install step"
