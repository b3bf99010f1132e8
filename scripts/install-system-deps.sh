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
# shellcheck source=scripts/system-deps.sh
source "$here/system-deps.sh"

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
    # named in system-deps.sh, recommended or not (podman's network backend is not
    # even a recommendation of podman's).
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packages start their daemons where an init system runs; tests start their own.
  fi
fi

dfaas_smoke_check_system_deps "$(cd "$here/.." && pwd)"
