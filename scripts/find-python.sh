#!/usr/bin/env bash
# Print the path of a working Python X.Y interpreter, or nothing (exit 1).
# Looks at PATH first, then at pyenv's installed versions (whose shims only work for
# the versions pyenv has activated).
set -u
version=${1:?usage: find-python.sh X.Y}
candidates=("python$version")
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for dir in "$pyenv_root"/versions/"$version".*/bin; do
  [ -d "$dir" ] && candidates+=("$dir/python$version")
done
for candidate in "${candidates[@]}"; do
  if "$candidate" -c 'import sys, venv' >/dev/null 2>&1; then
    command -v "$candidate"
    exit 0
  fi
done
exit 1
