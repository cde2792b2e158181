using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// A user's whole session with a cluster, against real Ganeti 3.0: build it up, use it,
/// crash a node, bring it back, stop and resume it.
/// </summary>
[TestClass]
public sealed class ClusterLifecycleTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void DefaultThreeNodeCluster() => Lifecycle("""<Project Sdk="VCluster.Sdk" />""", ["node1", "node2", "node3"], destroyAtEnd: true);

    [TestMethod]
    [Timeout(1_500_000, CooperativeCancellation = true)]
    public void TenNodeCluster() => Lifecycle("""
        <Project Sdk="VCluster.Sdk">
          <PropertyGroup><VClusterNodeCount>10</VClusterNodeCount></PropertyGroup>
        </Project>
        """, Enumerable.Range(1, 10).Select(i => $"node{i}").ToArray());

    private void Lifecycle(string project, string[] nodes, bool destroyAtEnd = false)
    {
        var repo = NewRepository(project);

        // Up, through MSBuild, as an ordinary user.
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, $"cluster 'cluster' is up: {nodes.Length} nodes");

        // Every node online in Ganeti's own view.
        var list = Tool(repo, "exec", "node1", "--", "gnt-node", "list", "--no-headers", "-o", "name,offline,master_candidate");
        Assert.AreEqual(0, list.ExitCode, list.ToString());
        var rows = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        CollectionAssert.AreEquivalent(nodes, rows.Select(r => r[0]).ToArray(), list.Output);
        Assert.IsTrue(rows.All(r => r[1] == "N"), $"a node is offline:\n{list.Output}");

        // An instance with the fake hypervisor on a chosen secondary node.
        var target = nodes[^1];
        var add = Tool(repo, "exec", "node1", "--", "gnt-instance", "add", "-t", "diskless", "-o", "noop", "-H", "fake",
            "--no-name-check", "--no-ip-check", "--no-nics", "-n", target, "inst1");
        Assert.AreEqual(0, add.ExitCode, add.ToString());
        var instance = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,pnode,status");
        StringAssert.Contains(instance.Output.Replace("  ", " "), $"inst1 {target} running");
        var uuid = ClusterUuid(repo);

        // gnt-cluster verify, ignoring only what docs/verify.md lists.
        var verify = As(repo, ["dotnet", "build", "-t:VClusterVerify", "-nodeReuse:false"]);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Assert.DoesNotContain("- ERROR:", verify.Output, verify.Output);
        var ignored = System.Text.RegularExpressions.Regex.Match(verify.Output, @"see docs/verify.md: ([A-Z0-9, ]+)\)").Groups[1].Value;
        Assert.IsGreaterThan(0, ignored.Length, verify.Output);
        var documented = File.ReadAllText(Path.Combine(RepositoryRoot, "docs/verify.md"));
        foreach (var code in ignored.Split(", "))
            StringAssert.Contains(documented, $"| `{code}` |", $"{code} is ignored but not documented");

        // Every daemon running.
        var status = StatusJson(repo);
        Assert.IsTrue(status["running"]!.GetValue<bool>());
        foreach (var node in status["nodes"]!.AsArray())
        {
            var daemons = node!["daemons"]!.AsArray().Where(d => d!["state"]!.GetValue<string>() != "not-needed").ToList();
            Assert.IsTrue(daemons.Any(d => d!["name"]!.GetValue<string>() == "ganeti-noded"));
            foreach (var d in daemons)
                Assert.AreEqual("running", d!["state"]!.GetValue<string>(), $"{node["name"]}: {d["name"]}");
        }

        // A crashed node shows as dead, and up brings it back.
        var crashed = nodes[1];
        Assert.AreEqual(0, Tool(repo, "kill-node", crashed).ExitCode);
        var afterKill = StatusJson(repo)["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == crashed)!;
        Assert.IsTrue(afterKill["daemons"]!.AsArray().Where(d => d!["state"]!.GetValue<string>() != "not-needed")
            .All(d => d!["state"]!.GetValue<string>() == "dead"), afterKill.ToJsonString());
        var again = Tool(repo, "up");
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        Assert.AreEqual("running", DaemonState(StatusJson(repo), crashed, "ganeti-noded"));

        // A second up on a running cluster changes nothing.
        var noop = Tool(repo, "up");
        Assert.AreEqual(0, noop.ExitCode, noop.ToString());
        StringAssert.Contains(noop.Output, "already up");

        // Down leaves no process behind; up resumes the same cluster.
        var down = As(repo, ["dotnet", "build", "-t:VClusterDown", "-nodeReuse:false"]);
        Assert.AreEqual(0, down.ExitCode, down.ToString());
        Assert.AreEqual("", LiveProcesses(), "processes left running after down");
        Assert.IsFalse(StatusJson(repo)["running"]!.GetValue<bool>());

        var resumed = Tool(repo, "up");
        Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
        Assert.AreEqual(uuid, ClusterUuid(repo));
        var after = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,pnode,status");
        StringAssert.Contains(after.Output.Replace("  ", " "), $"inst1 {target} running", after.ToString());

        var logs = Tool(repo, "logs", "node1", "noded", "-n", "5");
        Assert.AreEqual(0, logs.ExitCode, logs.ToString());
        StringAssert.Contains(logs.Output, "ganeti-noded pid=");

        if (destroyAtEnd)
        {
            // Destroy removes the cluster's state: the next up initialises another cluster.
            var destroy = Tool(repo, "destroy", "--yes");
            Assert.AreEqual(0, destroy.ExitCode, destroy.ToString());
            Assert.IsFalse(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/var/lib/ganeti/config.data")));
            Assert.IsTrue(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/cmd")), "generated files stay");
            var fresh = Tool(repo, "up");
            Assert.AreEqual(0, fresh.ExitCode, fresh.ToString());
            Assert.AreNotEqual(uuid, ClusterUuid(repo));
        }

        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
    }

    /// <summary>
    /// The test user's live cluster processes. Exited daemons may linger as zombies until
    /// the machine's init reaps them (they were reparented to it when they daemonized); a
    /// zombie runs nothing and holds nothing but its pid, so it does not count.
    /// </summary>
    private static string LiveProcesses()
    {
        var user = IsRoot ? Name : Environment.UserName;
        var ps = Host("/", ["ps", "-u", user, "-o", "pid=,stat=,args="]);
        return string.Join('\n', ps.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3 && !f[1].StartsWith('Z') && System.Text.RegularExpressions.Regex.IsMatch(f[2], "ganeti|socat|sleep infinity|nsenter"))
            .Select(f => string.Join(' ', f)));
    }

    private static string ClusterUuid(string repo)
    {
        var info = Tool(repo, "exec", "node1", "--", "gnt-cluster", "info");
        Assert.AreEqual(0, info.ExitCode, info.ToString());
        var line = info.Output.Split('\n').Single(l => l.Contains("Cluster UUID:"));
        return line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static JsonNode StatusJson(string repo)
    {
        var status = Tool(repo, "status", "--json");
        Assert.AreEqual(0, status.ExitCode, status.ToString());
        return JsonNode.Parse(status.Output)!;
    }

    private static string DaemonState(JsonNode status, string node, string daemon) =>
        status["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == node)!["daemons"]!.AsArray()
            .Single(d => d!["name"]!.GetValue<string>() == daemon)!["state"]!.GetValue<string>();
}
