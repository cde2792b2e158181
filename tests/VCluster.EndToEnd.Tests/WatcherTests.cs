using VCluster.Engine;
using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// The cluster's cron runs Ganeti's own watcher on every node, as cron does on hardware: a
/// daemon that dies comes back, but not while the master's watcher is blocked; a node switched
/// off with stop-node stays off.
/// </summary>
[TestClass]
public sealed class WatcherTests
{
    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void TheWatcherRestartsDeadDaemonsButNotStoppedNodes()
    {
        // With the kernel's 32768 pids, a killed daemon's old pid may be another process's
        // minutes later, and then Ganeti's daemon-util (start-stop-daemon matching the pid file
        // alone) takes the daemon for running and the watcher never restarts it: a CI run saw
        // confd stay dead. Debian's systemd boots with 2^22; the README's setup does the same.
        var pidMax = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsTrue(pidMax >= 4_194_304,
            $"kernel.pid_max is {pidMax}: run eng/setup.sh as root (or sudo sysctl -w kernel.pid_max=4194304) first, as a Debian machine boots");
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>2</VClusterNodeCount>
                <VClusterWatcherInterval>5</VClusterWatcherInterval>
              </PropertyGroup>
            </Project>
            """);
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        try
        {
            // A crashed confd on node2 comes back by the watcher's hand, not the tool's.
            var killed = Tool(repo, "exec", "node2", "--", "sh", "-c", "kill -9 $(cat /mnt/nodes/node2/var/run/ganeti/ganeti-confd.pid)");
            Assert.AreEqual(0, killed.ExitCode, killed.ToString());
            Assert.IsTrue(Eventually(() => DaemonState(repo, "node2", "ganeti-confd") == "running"), "ganeti-watcher did not restart confd");

            // While the master's watcher is blocked (gnt-cluster renew-crypto holds its lock
            // while it stops and restarts every node's daemons), no node's watcher restarts one.
            var blocked = Tool(repo, "exec", "node1", "--", "sh", "-c",
                "setsid flock -x /mnt/nodes/node1/var/lock/ganeti-watcher.lock sleep 60 </dev/null >/dev/null 2>&1 & " +
                // until the exclusive lock is held: a shared one can no longer be had
                "while flock -n -s /mnt/nodes/node1/var/lock/ganeti-watcher.lock true; do sleep 0.05; done");
            Assert.AreEqual(0, blocked.ExitCode, blocked.ToString());
            killed = Tool(repo, "exec", "node2", "--", "sh", "-c", "kill -9 $(cat /mnt/nodes/node2/var/run/ganeti/ganeti-confd.pid)");
            Assert.AreEqual(0, killed.ExitCode, killed.ToString());
            // Two whole passes of the cron: one that began before the kill may have found confd alive.
            WaitForPasses(repo, 2);
            Assert.AreEqual("dead", DaemonState(repo, "node2", "ganeti-confd"), "a watcher ran while the master's was blocked");
            Assert.IsTrue(Eventually(() => DaemonState(repo, "node2", "ganeti-confd") == "running"), "the watcher did not come back after the block");

            // A node switched off stays off: no cron runs on it.
            Assert.AreEqual(0, Tool(repo, "stop-node", "node2").ExitCode);
            WaitForPasses(repo, 2);
            Assert.AreEqual("dead", DaemonState(repo, "node2", "ganeti-noded"));
            Assert.AreEqual(0, Tool(repo, "start-node", "node2").ExitCode);
            Assert.AreEqual("running", DaemonState(repo, "node2", "ganeti-noded"));
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    private static bool Eventually(Func<bool> condition) =>
        Wait.Until(condition, TimeSpan.FromMinutes(3), interval: TimeSpan.FromSeconds(1));

    /// <summary>Waits until the cluster's cron has finished <paramref name="count"/> more passes over the nodes.</summary>
    private static void WaitForPasses(string repo, int count)
    {
        var file = Path.Combine(repo, ".vcluster", "cluster", VCluster.Engine.Layout.ClusterRootLayout.WatcherPasses);
        int Passes() => int.TryParse(File.ReadAllText(file).Trim(), out var n) ? n : 0;
        var target = Passes() + count;
        Assert.IsTrue(Eventually(() => Passes() >= target), $"the cron did not finish {count} passes ({file} says {Passes()})");
    }

    private static string DaemonState(string repo, string node, string daemon)
    {
        var status = Tool(repo, "status", "--json");
        Assert.AreEqual(0, status.ExitCode, status.ToString());
        return JsonNode.Parse(status.Output)!["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == node)!["daemons"]!.AsArray()
            .Single(d => d!["name"]!.GetValue<string>() == daemon)!["state"]!.GetValue<string>();
    }
}
