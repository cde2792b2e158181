#!/usr/bin/env python3
"""Memory of a running virtual cluster, as PSS (shared pages counted once per machine) and
private memory, from /proc/PID/smaps_rollup of every process in the cluster's sandbox.

  memory.py MANIFEST report         per-role node figures and per-daemon medians, as key=value
  memory.py MANIFEST watch FILE     the peak of the whole sandbox's PSS so far, in MiB, written
                                    to FILE every second until the process is killed
"""
import json
import os
import statistics
import sys
import time


def sandbox(manifest):
    state = os.path.join(manifest["sandbox"]["stateDir"], "run", "processes.json")
    if not os.path.exists(state):
        return None
    return json.load(open(state))["sandboxUserNamespace"]


def processes(userns):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/user" % pid) != userns:
                continue
            rollup = {}
            for line in open("/proc/%s/smaps_rollup" % pid):
                fields = line.split()
                if len(fields) == 3 and fields[2] == "kB":
                    rollup[fields[0].rstrip(":")] = int(fields[1])
            env = open("/proc/%s/environ" % pid, "rb").read().split(b"\0")
            node = next((e.split(b"=", 1)[1].decode() for e in env if e.startswith(b"GANETI_HOSTNAME=")), "")
            comm = open("/proc/%s/comm" % pid).read().strip()
            yield node, comm, rollup
        except OSError:
            continue


def report(manifest_path):
    manifest = json.load(open(manifest_path))
    userns = sandbox(manifest)
    nodes = {n["name"]: {"pss": 0, "private": 0, "rss": 0} for n in manifest["nodes"]}
    daemons = {}
    total = 0
    for node, comm, r in processes(userns):
        private = r.get("Private_Clean", 0) + r.get("Private_Dirty", 0)
        total += r.get("Pss", 0)
        if node in nodes:
            nodes[node]["pss"] += r.get("Pss", 0)
            nodes[node]["private"] += private
            nodes[node]["rss"] += r.get("Rss", 0)
            daemons.setdefault(comm, []).append((r.get("Pss", 0), private, r.get("Rss", 0)))
    master_file = os.path.join(manifest["nodes"][0]["root"], "var/lib/ganeti/ssconf_master_node")
    master = open(master_file).read().strip()
    candidates = set(open(os.path.join(manifest["nodes"][0]["root"], "var/lib/ganeti/ssconf_master_candidates")).read().split())
    roles = {"master": [], "candidate": [], "other": []}
    for name, figures in nodes.items():
        role = "master" if name == master else "candidate" if name in candidates else "other"
        roles[role].append(figures)
    mib = lambda kb: "%.1f" % (kb / 1024.0)
    out = ["sandbox_pss_mb=%s" % mib(total)]
    for role, items in roles.items():
        if items:
            out.append("%s_nodes=%d %s_pss_mb_median=%s %s_private_mb_median=%s %s_rss_mb_median=%s" % (
                role, len(items),
                role, mib(statistics.median(i["pss"] for i in items)),
                role, mib(statistics.median(i["private"] for i in items)),
                role, mib(statistics.median(i["rss"] for i in items))))
    for comm, values in sorted(daemons.items()):
        out.append("daemon=%s count=%d pss_mb_median=%s private_mb_median=%s rss_mb_median=%s" % (
            comm, len(values), mib(statistics.median(v[0] for v in values)),
            mib(statistics.median(v[1] for v in values)), mib(statistics.median(v[2] for v in values))))
    print("\n".join(out))


def watch(manifest_path, out):
    peak = 0
    while True:
        if os.path.exists(manifest_path):
            userns = sandbox(json.load(open(manifest_path)))
            if userns:
                peak = max(peak, sum(r.get("Pss", 0) for _, _, r in processes(userns)))
                with open(out + ".tmp", "w") as f:
                    f.write("%.0f\n" % (peak / 1024.0))
                os.replace(out + ".tmp", out)
        time.sleep(1)


if __name__ == "__main__":
    if sys.argv[2] == "report":
        report(sys.argv[1])
    else:
        watch(sys.argv[1], sys.argv[3])
