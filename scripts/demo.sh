#!/usr/bin/env bash
# `make demo`: a three-node DFaaS federation in Podman containers under overload.
#
#   scripts/demo.sh [--strategy NAME] [--out DIR]   build, start, federate, measure
#   scripts/demo.sh --down                          remove the testbed
#
# 1. builds the node image (containers/build-node-image.sh, reused when unchanged);
# 2. runs playbooks/testbed.yml: three nodes, setup.yml + federate.yml; node i accepts
#    10*i req/s of the function `funca` (dfaas.maxrate);
# 3. offers 50 req/s to node 1 for 60 s (more than its 10 req/s, less than the 60 req/s
#    of the federation), first with all_local, then with the chosen strategy (default
#    recalc), switching by re-running federate.yml -e dfaas_strategy=...; the load
#    generator and report writer of experiments/ send only to the testbed's addresses;
# 4. prints the served ratio per node and overall for both runs, who served the
#    requests, and where the report and plots are.
# Every step has a time bound. Needs root (rootful Podman, debootstrap) and the
# repository's virtualenv (make venv).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
strategy=recalc
out=""
down=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --down) down=true ;;
    --strategy) strategy="${2:?--strategy needs a name}"; shift ;;
    --out) out="${2:?--out needs a folder}"; shift ;;
    *) echo "demo: unknown argument '$1' (expected --strategy NAME, --out DIR or --down)" >&2; exit 2 ;;
  esac
  shift
done
case "$strategy" in
  recalc|node_margin|static) ;;
  *) echo "demo: --strategy must be recalc, node_margin or static (all_local is the baseline), got '$strategy'" >&2; exit 2 ;;
esac

log_prefix=demo
# shellcheck source=scripts/testbed-lib.sh
source "$repo/scripts/testbed-lib.sh"
testbed_environment

if $down; then
  log "removing the testbed"
  timeout 300 ansible-playbook "$repo/playbooks/testbed_down.yml"
  exit 0
fi

out="${out:-$repo/build/demo/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
started=$SECONDS

log "1/4 node image (built once, about a minute; reused while its sources are unchanged)"
with_progress "node image" "$out/image.log" timeout 1200 "$repo/containers/build-node-image.sh" \
  || { tail -n 20 "$out/image.log" >&2; log "the node image build failed (full log: $out/image.log)"; exit 1; }

log "2/4 testbed: three nodes, setup.yml + federate.yml (about 6 min on 2 cores; log: $out/testbed.log)"
with_progress "testbed" "$out/testbed.log" timeout 1800 ansible-playbook -i "$inventory" "$repo/playbooks/testbed.yml" \
  || { tail -n 30 "$out/testbed.log" >&2; log "testbed.yml failed (full log: $out/testbed.log)"; exit 1; }

# Node names and addresses from the inventory the testbed just wrote.
mapfile -t targets < <("$venv/bin/python" - "$inventory/hosts.yml" <<'PY'
import sys, yaml
hosts = yaml.safe_load(open(sys.argv[1]))["dfaas_nodes"]["hosts"]
for name, values in hosts.items():
    print(f"{name}={values['dfaas_node_address']}={values['dfaas_testbed_maxrate']}")
PY
)
[[ ${#targets[@]} -ge 2 ]] || { log "the testbed inventory lists fewer than two nodes"; exit 1; }
first="${targets[0]%%=*}"

# The paper's case on the testbed: node i accepts 10*i req/s, node 1 is offered 50 req/s.
# funca is the runtime's `sleep` built-in with max_inflight = maxrate/10 (group_vars), so
# each node really runs about maxrate req/s: every call sleeps $sleep_ms ms.
sleep_ms=80
scenario="$out/demo-scenario.yml"
{
  echo "---"
  echo "name: testbed-demo"
  echo "description: 50 req/s to $first, which accepts 10 req/s; the federation accepts 60 req/s"
  echo "period_s: 5"
  echo "step_s: 1"
  echo "strategies: [all_local, $strategy]"
  echo "nodes:"
  for entry in "${targets[@]}"; do
    IFS='=' read -r name _ maxrate <<<"$entry"
    echo "  $name:"
    echo "    functions:"
    echo "      funca: {maxrate: $maxrate}"
  done
  echo "load:"
  echo "  - node: $first"
  echo "    function: funca"
  echo "    segments:"
  echo "      - {kind: constant, rate: 50, duration_s: 60}"
} >"$scenario"

target_args=()
for entry in "${targets[@]}"; do
  IFS='=' read -r name address _ <<<"$entry"
  target_args+=(--target "$name=http://$address:30080")
done

log "3/4 load: all_local, then $strategy (report: $out/report, logs: $out/*.log)"
runs=()
for run_strategy in all_local "$strategy"; do
  log "  $run_strategy: federate.yml -e dfaas_strategy=$run_strategy"
  with_progress "federate.yml" "$out/switch-$run_strategy.log" \
    timeout 600 ansible-playbook -i "$inventory" "$repo/playbooks/federate.yml" -e "dfaas_strategy=$run_strategy" \
    || { tail -n 20 "$out/switch-$run_strategy.log" >&2; log "switching to $run_strategy failed"; exit 1; }
  # Two control periods (5 s each): the agents announce and apply a first plan.
  sleep 12
  log "  $run_strategy: 50 req/s to $first for 60 s"
  with_progress "load" "$out/load-$run_strategy.log" \
    env -C "$repo/experiments" timeout 300 "$venv/bin/python" -m dfaas_experiments.load \
    --scenario "$scenario" "${target_args[@]}" --body "$sleep_ms" --timeout 5 \
    --out "$out/$run_strategy.csv" \
    || { tail -n 5 "$out/load-$run_strategy.log" >&2; log "the load generator failed"; exit 1; }
  runs+=(--run "$run_strategy=$out/$run_strategy.csv")
done
(cd "$repo/experiments" && timeout 300 "$venv/bin/python" -m dfaas_experiments.report \
  "${runs[@]}" --scenario "$scenario" --out "$out/report") 2>"$out/report.log" \
  || { tail -n 5 "$out/report.log" >&2; log "the report writer failed"; exit 1; }

log "4/4 results"
"$venv/bin/python" - "$out/report" <<'PY'
import collections, csv, json, pathlib, sys
report = pathlib.Path(sys.argv[1])
def percent(value):
    return "n/a" if value is None else f"{100 * value:.1f} %"
for run in json.loads((report / "summary.json").read_text()):
    name = run["strategy"]
    print(f"{name}:")
    for node, counts in sorted(run["per_node"].items()):
        print(f"  sent to {node}: {counts['served']}/{counts['sent']} served ({percent(counts['served_ratio'])}),"
              f" forwarded {percent(counts['forwarded_share'])}")
    overall = run["overall"]
    print(f"  overall: {overall['served']}/{overall['sent']} served ({percent(overall['served_ratio'])})")
    with open(report / "raw" / f"{name}.csv", newline="") as rows:
        served_by = collections.Counter(r["served_by"] for r in csv.DictReader(rows) if r["outcome"] == "ok")
    print("  served by: " + ", ".join(f"{node} {count}" for node, count in sorted(served_by.items())))
PY
echo "report: $out/report/summary.md"
echo "plots:  $out/report/success-ratio.png, $out/report/served-*.png, $out/report/latency-cdf.png"
echo "testbed still running (scripts/demo.sh --down removes it); total $((SECONDS - started)) s"
