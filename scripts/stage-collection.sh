#!/usr/bin/env bash
# Copy the working tree (tracked and untracked, minus .gitignore'd files) to
# DEST/ansible_collections/dfaas/edge: ansible-test and the collection loader need that
# path, and a symlink does not do (ansible-test resolves the real working directory).
set -euo pipefail
dest_root=${1:?usage: stage-collection.sh DEST_ROOT}
repo=$(cd "$(dirname "$0")/.." && pwd)
dest="$dest_root/ansible_collections/dfaas/edge"

rm -rf "$dest"
mkdir -p "$dest"
cd "$repo"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' path; do [ -e "$path" ] && printf '%s\0' "$path"; done \
  | tar --null -T - -cf - | tar -C "$dest" -xf -
echo "$dest"
