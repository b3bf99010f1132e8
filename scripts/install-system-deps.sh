#!/usr/bin/env bash
# Debian packages that `make test`, `make demo` and the benchmarks need on the
# controller, then a smoke check of each tool with the project's own settings, so
# that a missing piece fails here, in seconds, naming its package.
# Installs only what is missing, so a repeated run costs a dpkg query and the checks.
#
# Usage: scripts/install-system-deps.sh [--check-only]
#   --check-only   install nothing; run the smoke checks only
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Every package is named here, recommended or not: we install with
# --no-install-recommends, and podman's network backend (netavark, with aardvark-dns
# for container names) is not among podman's recommendations at all.
DFAAS_SYSTEM_PACKAGES=(
  # build and fetch
  git make tar ca-certificates curl
  # Python: venvs, and headers + gmp for the wheels that compile (fastecdsa)
  python3-venv python3-dev gcc libgmp-dev
  # the node's components, run for real by the tests and benchmarks
  haproxy prometheus prometheus-node-exporter
  # containers: podman, its OCI runtime, network backend, DNS and firewall helpers
  podman runc netavark aardvark-dns iptables
  # the node image, network namespaces, the figlet function, shell lint, and nft to
  # check the prereq role's firewall rules against the kernel
  debootstrap iproute2 figlet shellcheck nftables
  # the ocr function's OCR program and its English data
  tesseract-ocr tesseract-ocr-eng
  # a CPU hog for the busy-machine test runs
  stress-ng
  # Ansible's OpenSSH connection with a password (the SSH testbed, as on real VMs)
  openssh-client sshpass
  # the VM testbed (scripts/testbed-vm.sh): QEMU and qemu-img
  qemu-system-x86 qemu-utils
)

# fail PACKAGE WHAT: one line that names the package to install.
_dfaas_smoke_fail() {
  echo "install-system-deps: $2 (Debian package '$1': apt-get install $1)" >&2
  return 1
}

# dfaas_smoke_check_system_deps REPO_ROOT: run each tool once with the project's
# settings (containers/containers.conf for podman). Returns non-zero after reporting
# every failure, not only the first.
dfaas_smoke_check_system_deps() {
  local repo_root=${1:?repo root} failed=0
  local -A commands=(
    [git]="git --version" [make]="make --version" [tar]="tar --version"
    [curl]="curl --version" [gcc]="gcc --version" [figlet]="figlet -v"
    [shellcheck]="shellcheck --version" [iproute2]="ip -V"
    [debootstrap]="debootstrap --version" [runc]="runc --version"
    [prometheus]="prometheus --version"
    [prometheus-node-exporter]="prometheus-node-exporter --version"
    [stress-ng]="stress-ng --version" [iptables]="iptables --version"
    [podman]="podman --version" [nftables]="nft --version"
    [openssh-client]="ssh -V" [sshpass]="sshpass -V"
    [tesseract-ocr]="tesseract --version"
    [qemu-system-x86]="qemu-system-x86_64 --version" [qemu-utils]="qemu-img --version"
  )
  local package
  for package in "${!commands[@]}"; do
    ${commands[$package]} >/dev/null 2>&1 \
      || _dfaas_smoke_fail "$package" "'${commands[$package]}' failed" || failed=1
  done

  # Outputs are read whole before matching: with pipefail, `cmd | grep -q` fails
  # whenever grep exits on its match while cmd still writes (SIGPIPE), as haproxy -vv
  # did once on a busy machine.
  local output
  # Tesseract: the ocr function reads English.
  output=$(tesseract --list-langs 2>/dev/null || true)
  if grep -qx 'eng' <<<"$output"; then :; else
    _dfaas_smoke_fail tesseract-ocr-eng "'tesseract --list-langs' lists no eng" || failed=1
  fi

  # HAProxy: the agent relies on the built-in Prometheus exporter.
  output=$(haproxy -vv 2>/dev/null || true)
  if grep -q 'prometheus-exporter' <<<"$output"; then :; else
    _dfaas_smoke_fail haproxy "'haproxy -vv' lists no prometheus-exporter service" || failed=1
  fi

  # Python: venv with pip, and headers for wheels that compile.
  python3 -c 'import venv, ensurepip' 2>/dev/null \
    || _dfaas_smoke_fail python3-venv "python3 cannot 'import venv, ensurepip'" || failed=1
  # shellcheck disable=SC2016
  python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null \
    || _dfaas_smoke_fail python3-dev "python3 has no Python.h" || failed=1
  [ -e /usr/include/gmp.h ] || [ -e /usr/include/x86_64-linux-gnu/gmp.h ] \
    || compgen -G '/usr/include/*/gmp.h' >/dev/null \
    || _dfaas_smoke_fail libgmp-dev "no gmp.h" || failed=1

  # Podman with our containers.conf: the network backend and its DNS helper are
  # found, and a network can be created and removed.
  local conf="$repo_root/containers/containers.conf"
  if command -v podman >/dev/null; then
    local helper
    for helper in netavark aardvark-dns; do
      CONTAINERS_CONF="$conf" podman info --format '{{.Host.NetworkBackend}}' >/dev/null 2>&1 || true
      [ -x "/usr/lib/podman/$helper" ] || [ -x "/usr/libexec/podman/$helper" ] \
        || _dfaas_smoke_fail "$helper" "podman's helper '$helper' is missing" || failed=1
    done
    local network="dfaas-smoke-$$"
    if CONTAINERS_CONF="$conf" podman network create "$network" >/dev/null 2>&1; then
      CONTAINERS_CONF="$conf" podman network rm -f "$network" >/dev/null 2>&1 \
        || _dfaas_smoke_fail podman "podman network rm $network failed" || failed=1
    else
      _dfaas_smoke_fail netavark "podman network create failed with CONTAINERS_CONF=$conf" || failed=1
    fi
  fi

  if [ "$failed" -ne 0 ]; then
    echo "install-system-deps: smoke check FAILED (see the lines above)" >&2
    return 1
  fi
  echo "install-system-deps: every tool answers (${#DFAAS_SYSTEM_PACKAGES[@]} packages checked)"
}


check_only=false
case "${1:-}" in
  "") ;;
  --check-only) check_only=true ;;
  *) echo "install-system-deps: unknown argument '$1' (expected --check-only)" >&2; exit 2 ;;
esac

if ! $check_only; then
  missing=()
  for package in "${DFAAS_SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-system-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # --no-install-recommends keeps the machine lean: every package we rely on is
    # named above, recommended or not (podman's network backend is not
    # even a recommendation of podman's).
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packages start their daemons where an init system runs; tests start their own.
  fi
fi

dfaas_smoke_check_system_deps "$(cd "$here/.." && pwd)"
