#!/usr/bin/env bash
# The RPC floor of a fresh bring-up (docs/benchmarks.md, "The floor of a 50-node bring-up"):
# brings up N nodes, counts the RPCs every node's noded answered (node-daemon.log), and
# measures the CPU one bare RPC costs (200 `version` calls from the master to node2: noded's
# CPU from /proc, the caller's from os.times()). Needs ./eng/setup.sh first.
# Usage: benchmarks/rpc-floor.sh [NODES]
set -euo pipefail
source "$(dirname "$0")/cluster.sh"
nodes=${1:-50}
bench_work vcr
$tool generate --root "$work/c" --nodes "$nodes" >/dev/null
start=$(date +%s.%N)
$tool up $m --timeout 900 >/dev/null
echo "nodes=$nodes fresh_up_s=$(since "$start")"
echo "rpcs_answered=$(cat "$work"/c/nodes/*/var/log/ganeti/node-daemon.log | grep -c 'POST /')"
cat "$work"/c/nodes/*/var/log/ganeti/node-daemon.log | grep -oE 'POST /[a-z_]+' | sort | uniq -c | sort -rn

cat > "$work/rpc.py" <<'PY'
import os, sys, time
sys.path.insert(0, os.environ["GANETI_ROOTDIR"] + "/prefix/share/ganeti/3.0")
from ganeti.rpc import node as rpc
target, calls, pidfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pid = int(open(pidfile).read())
def noded_cpu():  # utime, stime, cutime, cstime: the forked children are reaped by noded
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
def own_cpu():
    t = os.times(); return t.user + t.system
rpc.Init()
runner = rpc.BootstrapRunner()
n0, c0, t0 = noded_cpu(), own_cpu(), time.time()
for _ in range(calls):
    runner.call_version([target])[target].Raise("version")
n1, c1, t1 = noded_cpu(), own_cpu(), time.time()
print("version_rpc: %.1f ms wall, %.1f ms noded cpu, %.1f ms caller cpu (each, %d calls)"
      % ((t1 - t0) * 1000 / calls, (n1 - n0) * 1000 / calls, (c1 - c0) * 1000 / calls, calls))
PY
$tool exec node1 $m -- /usr/bin/python3 "$work/rpc.py" node2 200 "$work/c/nodes/node2/var/run/ganeti/ganeti-noded.pid"
