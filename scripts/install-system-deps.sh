#!/usr/bin/env bash
# Debian packages that `make test` and the testbed need on the controller.
# Installs only what is missing, so repeated runs cost a dpkg query.
set -euo pipefail

packages=(
  git make tar ca-certificates gcc libgmp-dev python3-venv
  haproxy prometheus prometheus-node-exporter
  podman runc debootstrap iproute2 figlet shellcheck
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start their daemons where an init system runs; tests start their own.
