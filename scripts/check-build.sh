#!/usr/bin/env bash
# Install a built collection tarball into a throw-away collections path and check that
# Ansible sees it there: ansible-galaxy lists it and ansible-doc lists its plugins.
set -euo pipefail
venv=${1:?venv} tarball=${2:?tarball}
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT

# Only the throw-away path counts: molecule, for one, installs the checkout into
# ~/.ansible/collections, which must neither satisfy nor shadow this install.
export ANSIBLE_COLLECTIONS_PATH="$target"
"$venv/bin/ansible-galaxy" collection install --offline --no-deps --force -p "$target" "$tarball"
"$venv/bin/ansible-galaxy" collection list dfaas.edge -p "$target" | grep -q '^dfaas\.edge '
total=0
for plugin_type in module lookup filter; do
  count=$("$venv/bin/ansible-doc" --list dfaas.edge -t "$plugin_type" -j \
    | "$venv/bin/python" -c 'import json, sys; print(len(json.load(sys.stdin)))')
  echo "check-build: ansible-doc lists $count $plugin_type plugin(s) of dfaas.edge"
  total=$((total + count))
done
if [ "$total" -lt 1 ]; then
  echo "check-build: ansible-doc lists no plugin of dfaas.edge from $tarball" >&2
  exit 1
fi
"$venv/bin/ansible-doc" -t filter dfaas.edge.libp2p_peer_id >/dev/null
echo "check-build: $tarball installs and ansible-doc sees dfaas.edge"
