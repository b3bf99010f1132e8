#!/usr/bin/env bash
# Play experiment scenarios on the local Podman testbed, every strategy of each, and
# keep one report per scenario (served / possible, own-first, plots):
#
#   scripts/testbed-campaign.sh [--nodes N] [--period S] [--cpus C1,C2,...] [--body B]
#                               [--strategy NAME]... [--refresh] [--out DIR] SCENARIO.yml...
#
# 1. builds the node image and, unless it runs with N nodes already (and --refresh
#    was not given: it converges them again, e.g. for a changed agent), the testbed
#    (playbooks/testbed.yml: N nodes, setup.yml + federate.yml, control period S);
# 2. per scenario: gives node i the scenario's dfaas.maxrate of `funca` for `node<i>`
#    (deploy_functions.yml with dfaas_testbed_capacities; one execution slot per
#    10 req/s), then for each strategy switches the federation (federate.yml), waits
#    a few periods, replays the scenario's load (open loop, 80 ms calls), exports each
#    scenario node's server-side latency series from its Prometheus (which listens on
#    the node's loopback only: read through `podman exec dfaas-testbed-<i> curl`) and
#    writes the report to DIR/<scenario name>/ (client- and server-side latency side by side).
# Scenario nodes must be named node1..nodeN and offer `funca` (sleep: the body is the
# milliseconds, 80 by default) or `funcb` (cpuburn: the body is the SHA-256 rounds);
# --cpus gives node i a CPU limit of Ci cores (a testbed built with other limits is
# built again); --strategy (repeatable) plays those instead of the scenario's list. Needs root (rootful Podman) and the repository's venv (make venv).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
nodes=5 period=1 refresh=false out="$repo/experiments/results/testbed-five" scenarios=()
cpus="" body=80 strategies=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) nodes="${2:?--nodes needs a count}"; shift ;;
    --period) period="${2:?--period needs seconds}"; shift ;;
    --out) out="${2:?--out needs a folder}"; shift ;;
    --cpus) cpus="${2:?--cpus needs C1,C2,...}"; shift ;;
    --body) body="${2:?--body needs a value}"; shift ;;
    --strategy) strategies+=(--strategy "${2:?--strategy needs a name}"); shift ;;
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

# {"1": C1, "2": C2, ...}: the CPU limits testbed.yml gives the containers.
cpu_limits=$("$venv/bin/python" -c 'import json, sys; print(json.dumps({str(i): float(c) for i, c in enumerate(filter(None, sys.argv[1].split(",")), 1)}))' "$cpus")
running=$(podman ps --filter name='^dfaas-testbed-[0-9]+$' --format '{{.Names}}' | wc -l)
running_limits=$(for name in $(podman ps --filter name='^dfaas-testbed-[0-9]+$' --format '{{.Names}}' | sort); do
  printf '%s ' "$(podman inspect --format '{{.HostConfig.NanoCpus}}' "$name")"; done)
wanted_limits=$("$venv/bin/python" -c 'import json, sys; limits = json.loads(sys.argv[1]); print("".join(f"{int(float(limits.get(str(i), 0)) * 1e9)} " for i in range(1, int(sys.argv[2]) + 1)))' "$cpu_limits" "$nodes")
[[ "$running_limits" == "$wanted_limits" ]] || refresh=true
if [[ "$running" -ne "$nodes" ]] || $refresh; then
  log "testbed: $nodes nodes, period $period s (about 2 min a node on 2 cores)"
  [[ "$running" -eq 0 || "$running" -eq "$nodes" ]] || timeout 300 ansible-playbook "$repo/playbooks/testbed_down.yml" >"$logs/down.log" 2>&1
  with_progress "testbed" "$logs/testbed.log" timeout 3600 ansible-playbook -i "$inventory" \
    "$repo/playbooks/testbed.yml" -e "dfaas_testbed_nodes=$nodes" -e "dfaas_agent_period=$period" \
    -e "{\"dfaas_testbed_cpus\": $cpu_limits}"
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
    functions = scenario["nodes"].get(f"node{index}", {}).get("functions", {})
    spec = functions.get("funca") or functions.get("funcb") or {}
    capacities[f"dfaas-testbed-{index}"] = int(spec.get("maxrate") or 0)
print(json.dumps({"dfaas_testbed_capacities": capacities}))
PY
  log "$name: capacities $(cat "$capacities")"
  # The scenario's own nodes only: node<i> is dfaas-testbed-<i>.
  targets=() names=() prometheus=()
  for i in $(seq "$nodes"); do
    "$venv/bin/python" -c 'import sys, yaml; sys.exit(sys.argv[2] not in yaml.safe_load(open(sys.argv[1]))["nodes"])' \
      "$scenario" "node$i" || continue
    targets+=(--target "node$i=http://10.89.70.$((10 + i)):30080")
    names+=(--node-name "node$i=dfaas-testbed-$i")
    prometheus+=(--prometheus "node$i=http://127.0.0.1:9090" --prometheus-via "node$i=podman exec dfaas-testbed-$i curl -sS")
  done
  prepare="ansible-playbook -i $inventory $repo/playbooks/deploy_functions.yml -e @$capacities"
  with_progress "$name" "$logs/$name.log" env -C "$repo/experiments" timeout 3600 \
    "$venv/bin/python" -m dfaas_experiments.campaign --scenario "$scenario" \
    "${targets[@]}" "${names[@]}" "${prometheus[@]}" ${strategies[@]+"${strategies[@]}"} --prepare "$prepare" --switch "$switch" \
    --settle "$((3 * period + 2))" --body "$body" --timeout 5 --out "$out/$name" \
    || { tail -n 5 "$logs/$name.log" >&2; log "$name failed (log: $logs/$name.log)"; exit 1; }
  log "$name: $out/$name/summary.md"
done
