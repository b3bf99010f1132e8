#!/usr/bin/env bash
# Run every molecule scenario (or those named), each to its end even when one fails,
# and keep each one's log in build/molecule/. Ends with which scenarios failed and the
# first failed task of each: CI keeps only the tail of a run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$repo/.venv}
cd "$repo"

if [ "$#" -gt 0 ]; then
  scenarios=("$@")
else
  # The cheap scenarios first; federation, the longest, last.
  scenarios=()
  for file in molecule/*/molecule.yml; do
    [ -e "$file" ] || continue
    s=${file#molecule/}
    s=${s%/molecule.yml}
    [ "$s" = federation ] || scenarios+=("$s")
  done
  [ ! -e molecule/federation/molecule.yml ] || scenarios+=(federation)
fi
if [ "${#scenarios[@]}" -eq 0 ]; then
  echo "molecule: no scenarios yet"
  exit 0
fi

logs=$repo/build/molecule
mkdir -p "$logs"
export CONTAINERS_CONF=$repo/containers/containers.conf
export PATH=$venv/bin:$PATH
# A clock on every task: the log then says when each step ran and how long it took.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks

failed=()
for s in "${scenarios[@]}"; do
  started=$SECONDS
  if "$venv/bin/molecule" test -s "$s" 2>&1 | tee "$logs/$s.log"; then
    echo "molecule $s: passed in $((SECONDS - started)) s"
  else
    echo "molecule $s: FAILED after $((SECONDS - started)) s (log: $logs/$s.log)"
    failed+=("$s")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo
  echo "molecule: ${#failed[@]} of ${#scenarios[@]} scenarios failed: ${failed[*]}"
  for s in "${failed[@]}"; do
    "$venv/bin/python" scripts/molecule_failures.py --limit 1200 "$logs/$s.log"
  done
  exit 1
fi
echo "molecule: all ${#scenarios[@]} scenarios passed"
