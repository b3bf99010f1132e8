#!/usr/bin/env bash
# ansible-test sanity on a staged copy of the collection, working offline.
# Usage: sanity.sh VENV STAGE_ROOT [extra ansible-test arguments]
set -euo pipefail
venv=$(cd "${1:?venv}" && pwd) stage_root=${2:?stage root}
shift 2
here=$(cd "$(dirname "$0")" && pwd)

# ansible-test looks for its pip bootstrap in this cache before downloading it.
pip_version=$("$venv/bin/python" - <<'PY'
import pathlib, re, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp "$here/ansible-test-get-pip.py" "$cache/get_pip_${pip_version//./_}.py"

collection=$("$here/stage-collection.sh" "$stage_root")
# The agent is a separate Python project (agent/pyproject.toml) with its own checks
# (ruff, mypy --strict, pytest). The collection carries its sources only for the
# python_app role to build a wheel from; ansible-test's plugin rules do not apply to it.
rm -rf "$collection/agent"
cd "$collection"
PATH="$venv/bin:$PATH" ansible-test sanity --local --python 3.11 --color no "$@"
