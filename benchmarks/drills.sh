#!/usr/bin/env bash
# Reliability drills (issue 22) on a 5-node cluster with instances (two diskless on each of
# node2..node5): FAILOVERS times `failover` (orderly, to the first other running candidate: node1 and node2 in turn), each
# followed by RAPI from the host; CRASHES times a crash (SIGKILL of the whole sandbox) and
# `up`, checking the same cluster UUID and instances; MIDJOB times a crash while an instance
# creation is held in its OS script, then `up`, verify and Ganeti's remove of the half-made
# instance. Prints one line per round and a summary. Needs ./eng/setup.sh first.
# Usage: benchmarks/drills.sh [FAILOVERS] [CRASHES] [MIDJOB]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
failovers=${1:-10}; crashes=${2:-20}; midjob=${3:-10}
bench_work vdr
instances=()
for n in 2 3 4 5; do instances+=(--instance "n$n:Count=2,Template=diskless,Node=node$n"); done
$tool generate --root "$work/c" --nodes 5 "${instances[@]}" >/dev/null
$tool up $m >/dev/null
run() { $tool exec $m "$@"; }
master() { $tool status $m --json | python3 -c 'import json, sys; print([n["name"] for n in json.load(sys.stdin)["nodes"] if n["master"]][0])'; }
uuid() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cluster"]["uuid"])' "$work/c/nodes/node1/var/lib/ganeti/config.data"; }
rapi_master() {
  url=$($tool status $m --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["rapi"]["url"])')
  curl -sk --fail -u "$(cat "$work/c/rapi-credentials")" "$url/2/info" | python3 -c 'import json, sys; print(json.load(sys.stdin)["master"])'
}
instance_list() { run "$(master)" -- gnt-instance list --no-headers -o name,pnode,status | sort | tr -s ' ' | paste -sd ' '; }
before_uuid=$(uuid); before_instances=$(instance_list)
echo "cluster $before_uuid: $(echo "$before_instances" | wc -w | awk '{ print $1 / 3 }') instances"

failed=0; times=()
for round in $(seq 1 "$failovers"); do
  start=$(date +%s.%N)
  if $tool failover $m > "$work/failover.log" 2>&1; then
    seconds=$(since "$start"); now=$(master); via_rapi=$(rapi_master || echo none)
    if [ "$now" = "$via_rapi" ]; then times+=("$seconds"); echo "failover $round: master $now in ${seconds}s, RAPI from the host says $via_rapi"
    else failed=$((failed + 1)); echo "failover $round: FAILED (status $now, RAPI $via_rapi)"; fi
  else failed=$((failed + 1)); echo "failover $round: FAILED"; sed 's/^/  /' "$work/failover.log"; fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "failovers=$failovers failed=$failed median_s=$(median "${times[@]:-0}")"
failover_failed=$failed

failed=0; times=()
for round in $(seq 1 "$crashes"); do
  $tool crash $m >/dev/null
  start=$(date +%s.%N)
  if $tool up $m > "$work/up.log" 2>&1; then
    seconds=$(since "$start")
    if [ "$(uuid)" = "$before_uuid" ] && [ "$(instance_list)" = "$before_instances" ]; then times+=("$seconds"); echo "crash $round: up in ${seconds}s, same cluster and instances"
    else failed=$((failed + 1)); echo "crash $round: FAILED (instances: $(instance_list))"; fi
  else failed=$((failed + 1)); echo "crash $round: FAILED"; sed 's/^/  /' "$work/up.log"; fi
done
echo "crashes=$crashes failed=$failed median_up_s=$(median "${times[@]:-0}")"
crash_failed=$failed

# An OS whose create script says it started, then waits: a creation held mid-job.
cp -r "$work/c/os/vcluster" "$work/c/os/hold"
printf '#!/bin/sh\ntouch "$(dirname "$0")/started"\nexec sleep 3600\n' > "$work/c/os/hold/create"
failed=0; jobs=()
for round in $(seq 1 "$midjob"); do
  rm -f "$work/c/os/hold/started"
  job=$(run "$(master)" -- gnt-instance add --submit -t file --disk 0:size=1G --no-nics -o hold+default -H fake \
        --no-name-check --no-ip-check -n node3 "held$round" 2>&1 | sed -n 's/.*JobID: \([0-9]*\).*/\1/p')
  [ -n "$job" ] || { echo "crash mid-job $round: no job id"; exit 1; }
  jobs+=("$job")
  until [ -e "$work/c/os/hold/started" ]; do sleep 0.2; done
  $tool crash $m >/dev/null
  if $tool up $m > "$work/up.log" 2>&1 && [ "$(uuid)" = "$before_uuid" ] &&
     run "$(master)" -- gnt-instance remove -f "held$round" > "$work/remove.log" 2>&1 &&
     [ "$(instance_list)" = "$before_instances" ] && $tool verify $m > "$work/verify.log" 2>&1; then
    echo "crash mid-job $round (job $job): recovered, verify clean"
  else failed=$((failed + 1)); echo "crash mid-job $round (job $job): FAILED"; tail -5 "$work"/{up,remove,verify}.log 2>/dev/null | sed 's/^/  /'; fi
done
# luxid fails the jobs whose processes died at its queue poll (307 s after it started).
deadline=$(( $(date +%s) + 420 ))
until [ "$(run "$(master)" -- gnt-job list --no-headers -o id,status | awk -v ids=" ${jobs[*]} " 'index(ids, " " $1 " ") && $2 != "error"' | wc -l)" = 0 ] ||
      [ "$(date +%s)" -gt $deadline ]; do sleep 10; done
not_failed=$(run "$(master)" -- gnt-job list --no-headers -o id,status | awk -v ids=" ${jobs[*]} " 'index(ids, " " $1 " ") && $2 != "error"' | wc -l)
echo "midjob=$midjob failed=$failed jobs_not_failed_by_ganeti=$not_failed"
[ "$failover_failed" -eq 0 ] && [ "$crash_failed" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$not_failed" -eq 0 ]
