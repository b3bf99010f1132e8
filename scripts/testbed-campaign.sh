#!/usr/bin/env bash
# Play experiment scenarios on the local Podman testbed, every strategy of each, and
# keep one report per scenario (served / possible, own-first, plots):
#
#   scripts/testbed-campaign.sh [--nodes N] [--period S] [--refresh] [--out DIR] SCENARIO.yml...
#
# 1. builds the node image and, unless it runs with N nodes already (and --refresh
#    was not given: it converges them again, e.g. for a changed agent), the testbed
#    (playbooks/testbed.yml: N nodes, setup.yml + federate.yml, control period S);
# 2. per scenario: gives node i the scenario's dfaas.maxrate of `funca` for `node<i>`
#    (deploy_functions.yml with dfaas_testbed_capacities; one execution slot per
#    10 req/s), then for each strategy switches the federation (federate.yml), waits
#    a few periods, replays the scenario's load (open loop, 80 ms calls) and writes
#    the report to DIR/<scenario name>/.
# Scenario nodes must be named node1..nodeN and offer `funca` (experiments/scenarios/
# five-*.yml). Needs root (rootful Podman) and the repository's venv (make venv).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
nodes=5 period=1 refresh=false out="$repo/experiments/results/testbed-five" scenarios=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a count}"; shift ;;
    --period) period="${2:?--period needs seconds}"; shift ;;
    --out) out="${2:?--out needs a folder}"; shift ;;
    --refresh) refresh=true ;;
    -*) echo "testbed-campaign: unknown option '$1'" >&2; exit 2 ;;
    *) scenarios+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")") ;;
  esac
  shift
done
[[ ${#scenarios[@]} -gt 0 ]] || { echo "testbed-campaign: name at least one scenario file" >&2; exit 2; }

log_prefix=testbed-campaign
# shellcheck source=scripts/testbed-lib.sh
source "$repo/scripts/testbed-lib.sh"
testbed_environment
mkdir -p "$out"
out="$(cd "$out" && pwd)"
logs="$out/logs"
mkdir -p "$logs"

log "node image"
with_progress "node image" "$logs/image.log" timeout 1200 "$repo/containers/build-node-image.sh"

running=$(podman ps --filter name='^dfaas-testbed-[0-9]+$' --format '{{.Names}}' | wc -l)
if [[ "$running" -ne "$nodes" ]] || $refresh; then
  log "testbed: $nodes nodes, period $period s (about 2 min a node on 2 cores)"
  [[ "$running" -eq 0 || "$running" -eq "$nodes" ]] || timeout 300 ansible-playbook "$repo/playbooks/testbed_down.yml" >"$logs/down.log" 2>&1
  with_progress "testbed" "$logs/testbed.log" timeout 3600 ansible-playbook -i "$inventory" \
    "$repo/playbooks/testbed.yml" -e "dfaas_testbed_nodes=$nodes" -e "dfaas_agent_period=$period"
fi

switch="ansible-playbook -i $inventory $repo/playbooks/federate.yml -e dfaas_agent_period=$period -e dfaas_strategy={strategy}"

for scenario in "${scenarios[@]}"; do
  name=$("$venv/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["name"])' "$scenario")
  capacities="$logs/$name-capacities.json"
  "$venv/bin/python" - "$scenario" "$nodes" >"$capacities" <<'PY'
import json, sys, yaml
scenario, nodes = yaml.safe_load(open(sys.argv[1])), int(sys.argv[2])
capacities = {}
for index in range(1, nodes + 1):
    spec = scenario["nodes"].get(f"node{index}", {}).get("functions", {}).get("funca", {})
    capacities[f"dfaas-testbed-{index}"] = int(spec.get("maxrate") or 0)
print(json.dumps({"dfaas_testbed_capacities": capacities}))
PY
  log "$name: capacities $(cat "$capacities")"
  # The scenario's own nodes only: node<i> is dfaas-testbed-<i>.
  targets=() names=()
  for i in $(seq "$nodes"); do
    "$venv/bin/python" -c 'import sys, yaml; sys.exit(sys.argv[2] not in yaml.safe_load(open(sys.argv[1]))["nodes"])' \
      "$scenario" "node$i" || continue
    targets+=(--target "node$i=http://10.89.70.$((10 + i)):30080")
    names+=(--node-name "node$i=dfaas-testbed-$i")
  done
  prepare="ansible-playbook -i $inventory $repo/playbooks/deploy_functions.yml -e @$capacities"
  with_progress "$name" "$logs/$name.log" env -C "$repo/experiments" timeout 3600 \
    "$venv/bin/python" -m dfaas_experiments.campaign --scenario "$scenario" \
    "${targets[@]}" "${names[@]}" --prepare "$prepare" --switch "$switch" \
    --settle "$((3 * period + 2))" --body 80 --timeout 5 --out "$out/$name" \
    || { tail -n 5 "$logs/$name.log" >&2; log "$name failed (log: $logs/$name.log)"; exit 1; }
  log "$name: $out/$name/summary.md"
done
