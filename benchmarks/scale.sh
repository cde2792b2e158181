#!/usr/bin/env bash
# Scale (docs/benchmarks.md, "Hundreds of nodes"): for each cluster size, a fresh `up` (time,
# and the sandbox's peak PSS while it runs), memory per node role (PSS, private, RSS: median
# of the nodes of that role) and per daemon, `gnt-cluster verify`, `status`, `down`, and a
# resumed `up`. Needs ./eng/setup.sh first. The cluster root is on /tmp unless ROOT_PARENT says.
# Usage: benchmarks/scale.sh [SIZES="10 50 100 250"] [JOIN=bulk|sequential]
# VERIFY=0 skips gnt-cluster verify (9 minutes at 250 nodes); RESUME=0 skips down and resume;
# KEEP=1 leaves the last cluster running for a look (then: dotnet vcluster destroy -m ...).
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
sizes=${1:-10 50 100 250}
join=${2:-bulk}
for nodes in $sizes; do
  bench_work vcs
  network=192.0.2.0/24; [ "$nodes" -gt 200 ] && network=198.18.0.0/15
  $tool generate --root "$work/c" --nodes "$nodes" --network "$network" >/dev/null
  python3 "$repo/benchmarks/memory.py" "$work/c/vcluster.json" watch "$work/peak" & watcher=$!
  start=$(date +%s.%N)
  if ! $tool up $m --join "$join" --timeout 1800 > "$work/up.log" 2>&1; then
    kill $watcher; echo "nodes=$nodes join=$join up FAILED"; tail -20 "$work/up.log"; exit 1
  fi
  up_s=$(since "$start")
  sleep 2; kill $watcher; wait $watcher 2>/dev/null || true
  echo "nodes=$nodes join=$join fresh_up_s=$up_s peak_sandbox_pss_mb=$(cat "$work/peak")"
  python3 "$repo/benchmarks/memory.py" "$work/c/vcluster.json" report | sed 's/^/  /'
  verify_s=skipped
  [ "${VERIFY:-1}" = 0 ] || { start=$(date +%s.%N); $tool verify $m > "$work/verify.log" 2>&1 || { echo "  verify FAILED"; grep -m 10 -E "ERROR" "$work/verify.log" || true; cp "$work/verify.log" "/tmp/verify-$nodes.log"; }
  verify_s=$(since "$start"); }
  start=$(date +%s.%N); $tool status $m > /dev/null; status_s=$(since "$start")
  resumed=""
  if [ "${RESUME:-1}" != 0 ]; then
    start=$(date +%s.%N); $tool down $m > /dev/null; down_s=$(since "$start")
    start=$(date +%s.%N); $tool up $m --timeout 1800 > "$work/resume.log" 2>&1 || { echo "  resume FAILED"; tail "$work/resume.log"; }
    resume_s=$(since "$start")
    start=$(date +%s.%N); $tool down $m > /dev/null; down2_s=$(since "$start")
    resumed=" down_s=$down_s resumed_up_s=$resume_s down_after_resume_s=$down2_s"
  fi
  echo "  verify_s=$verify_s status_s=$status_s$resumed"
  if [ "${KEEP:-0}" = 1 ]; then trap - EXIT; echo "  kept: $work/c/vcluster.json"; continue; fi
  $tool down $m >/dev/null 2>&1 || true; rm -rf "$work"; trap - EXIT
done
