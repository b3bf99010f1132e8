#!/usr/bin/env bash
# Install a built collection tarball as a user with nothing but ansible-core would,
# and check that it works there:
#   - a throw-away virtualenv with only the pinned ansible-core (no `ansible` package,
#     so none of its collections);
#   - `ansible-galaxy collection install --offline` of the tarball *with* dependency
#     resolution; the dependencies come from the collections that the pinned `ansible`
#     package of the dev venv ships, offered as local candidates (no Galaxy here);
#   - ansible-doc for every plugin, and --syntax-check of every playbook.
# Usage: scripts/check-build.sh VENV TARBALL
set -euo pipefail
venv=${1:?venv} tarball=${2:?tarball}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
log() { echo "check-build: $*"; }

core_version=$(sed -n 's/^ansible-core==//p' "$root/requirements/dev.txt")
core_venv="$root/build/ansible-core-$core_version"
if ! "$core_venv/bin/ansible-galaxy" --version 2>/dev/null | grep -q "core $core_version"; then
  rm -rf "$core_venv"
  "$venv/bin/python" -m venv "$core_venv"
  "$core_venv/bin/python" -m pip install --quiet --disable-pip-version-check "ansible-core==$core_version"
fi
if "$core_venv/bin/python" -c 'import ansible_collections' 2>/dev/null; then
  log "$core_venv is not ansible-core alone (it imports ansible_collections)" >&2
  exit 1
fi

target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
# Only the throw-away path counts: molecule, for one, installs the checkout into
# ~/.ansible/collections, which must neither satisfy nor shadow this install.
export ANSIBLE_COLLECTIONS_PATH="$target" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCAL_TEMP="$target/tmp" ANSIBLE_HOME="$target/home"

# The candidates for dependency resolution: the dev venv's copies of exactly the
# collections galaxy.yml names (the resolver checks their versions against the ranges).
shipped=$("$venv/bin/python" -c 'import ansible_collections, os; print(list(ansible_collections.__path__)[0])')
candidates=()
while read -r dependency; do
  [ -n "$dependency" ] || continue
  candidates+=("$shipped/${dependency/.//}")
done < <("$venv/bin/python" -c '
import sys, yaml
for name in (yaml.safe_load(open(sys.argv[1])).get("dependencies") or {}):
    print(name)' "$root/galaxy.yml")
"$core_venv/bin/ansible-galaxy" collection install --offline --force -p "$target" \
  "$tarball" "${candidates[@]}" >"$target/install.log" 2>&1 \
  || { cat "$target/install.log" >&2; log "the tarball does not install with its dependencies" >&2; exit 1; }
"$core_venv/bin/ansible-galaxy" collection list -p "$target" 2>/dev/null | grep -E '^[a-z_]+\.[a-z_]+ ' \
  | sed 's/^/check-build: installed /'

total=0
for plugin_type in module lookup filter; do
  names=$("$core_venv/bin/ansible-doc" --list dfaas.edge -t "$plugin_type" -j \
    | "$core_venv/bin/python" -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin))))')
  for name in $names; do
    "$core_venv/bin/ansible-doc" -t "$plugin_type" "$name" >/dev/null \
      || { log "ansible-doc -t $plugin_type $name failed" >&2; exit 1; }
    total=$((total + 1))
  done
  log "ansible-doc reads the docs of $plugin_type plugin(s): ${names:-none}"
done
[ "$total" -ge 1 ] || { log "ansible-doc lists no plugin of dfaas.edge from $tarball" >&2; exit 1; }

playbooks=$(tar -tzf "$tarball" | sed -n 's|^playbooks/\([a-z_]*\)\.yml$|\1|p' | sort)
for playbook in $playbooks; do
  "$core_venv/bin/ansible-playbook" -i localhost, --syntax-check "dfaas.edge.$playbook" >"$target/syntax.log" 2>&1 \
    || { cat "$target/syntax.log" >&2; log "--syntax-check of dfaas.edge.$playbook failed" >&2; exit 1; }
done
log "--syntax-check passes for dfaas.edge.{$(echo "$playbooks" | paste -sd, -)}"
log "$tarball installs with its dependencies on ansible-core $core_version alone"
