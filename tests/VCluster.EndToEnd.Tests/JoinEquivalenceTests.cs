using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// The bulk join is a shortcut: it must leave what one real <c>gnt-node add</c> per node
/// leaves. The same 5-node cluster is built both ways and compared (normalised only for what
/// docs/join.md lists as random or time-dependent); then the bulk-joined cluster must do what
/// any cluster does: verify, place instances, fail the master over, remove and add a node,
/// run burnin, stop and resume.
/// </summary>
[TestClass]
public sealed partial class JoinEquivalenceTests
{
    private static string Project(string join) => $"""
        <Project Sdk="VCluster.Sdk">
          <PropertyGroup>
            <VClusterNodeCount>5</VClusterNodeCount>
            <VClusterInstanceCount>8</VClusterInstanceCount>
            <VClusterJoin>{join}</VClusterJoin>
          </PropertyGroup>
        </Project>
        """;

    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void BulkJoinLeavesWhatOneNodeAddPerNodeLeaves()
    {
        var sequential = NewRepository(Project("sequential"));
        var up = As(sequential, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, "joining 4 nodes (sequential)");
        StringAssert.Contains(up.Output, "gnt-node add: 4/4 nodes");

        var bulk = NewRepository(Project("bulk"));
        up = As(bulk, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, "joining 4 nodes (bulk)");
        Assert.DoesNotContain("NODE_ADD", Gnt(bulk, "node1", "gnt-job", "list", "--no-headers", "-o", "summary"), "no gnt-node add ran");

        var expected = ClusterSnapshot.Take(Path.Combine(sequential, ".vcluster/cluster"));
        var actual = ClusterSnapshot.Take(Path.Combine(bulk, ".vcluster/cluster"));
        Assert.AreEqual(expected.Configuration, actual.Configuration, "configuration");
        CollectionAssert.AreEqual(expected.Nodes.Keys.ToList(), actual.Nodes.Keys.ToList());
        foreach (var (node, files) in expected.Nodes)
        {
            var differences = files.Except(actual.Nodes[node]).Select(f => $"only sequential: {f}")
                .Concat(actual.Nodes[node].Except(files).Select(f => $"only bulk: {f}")).ToList();
            Assert.IsEmpty(differences, $"{node}:\n{string.Join('\n', differences)}");
        }
        Assert.AreEqual(0, Tool(sequential, "down").ExitCode);

        AfterABulkJoinTheClusterWorks(bulk);
    }

    private static void AfterABulkJoinTheClusterWorks(string repo)
    {
        // Verify, as after any join.
        var verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());

        // The master fails over to a joined candidate; the cluster's name, the sandbox's ssh
        // and RAPI from the host follow it at once, status too.
        Gnt(repo, "node2", "gnt-cluster", "master-failover");
        Assert.AreEqual("node2", Gnt(repo, "node3", "gnt-cluster", "getmaster").Trim());
        Assert.AreEqual("node2", Gnt(repo, "node3", "ssh", "cluster", "echo $GANETI_HOSTNAME").Trim());
        Assert.AreEqual("node2", Gnt(repo, "node3", "ssh", "192.0.2.1", "echo $GANETI_HOSTNAME").Trim());
        var status = JsonNode.Parse(Tool(repo, "status", "--json").Output)!;
        Assert.IsTrue(status["nodes"]!.AsArray().Single(n => n!["master"]!.GetValue<bool>())!["name"]!.GetValue<string>() == "node2");
        var rapi = status["rapi"]!;
        var credentials = File.ReadAllText(rapi["credentialsFile"]!.GetValue<string>()).Trim();
        var info = As(repo, ["curl", "-sS", "-k", "--fail-with-body", "-u", credentials, rapi["url"]!.GetValue<string>() + "/2/info"]);
        Assert.AreEqual(0, info.ExitCode, info.ToString());
        StringAssert.Contains(info.Output, "\"master\": \"node2\"");

        // ssh runs a command on the node it names, even one that names another node's cmd,
        // as Ganeti's QA does; scp -r copies into the target node's own disk.
        Assert.AreEqual("node4", Gnt(repo, "node3", "ssh", "node1", "/mnt/nodes/node4/cmd 'echo $GANETI_HOSTNAME'").Trim());
        // A command built with the caller's own paths names the target's files, as on hardware.
        Assert.AreEqual("/mnt/nodes/node4/var /mnt/nodes/node1/var", Gnt(repo, "node3", "ssh", "node4", "echo /mnt/nodes/node3/var /mnt/nodes/node1/var").Trim());
        Gnt(repo, "node3", "sh", "-c", "mkdir -p /srv/ganeti/file-storage/probe.d && echo from-node3 > /srv/ganeti/file-storage/probe.d/file");
        Gnt(repo, "node3", "scp", "-r", "/srv/ganeti/file-storage/probe.d", "node4:/srv/ganeti/file-storage");
        Assert.AreEqual("from-node3", Gnt(repo, "node4", "cat", "/srv/ganeti/file-storage/probe.d/file").Trim());
        Assert.IsTrue(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node4/srv/ganeti/file-storage/probe.d/file")), "on node4's own disk");
        Gnt(repo, "node4", "rm", "-r", "/srv/ganeti/file-storage/probe.d");
        Gnt(repo, "node3", "rm", "-r", "/srv/ganeti/file-storage/probe.d");

        // A joined node leaves and comes back through the real gnt-node add.
        Gnt(repo, "node2", "gnt-node", "remove", "node5");
        Assert.AreEqual("node1\nnode2\nnode3\nnode4", Gnt(repo, "node2", "gnt-node", "list", "--no-headers", "-o", "name").Trim());
        Gnt(repo, "node2", "gnt-node", "add", "--no-ssh-key-check", "node5");
        var again = Tool(repo, "up");
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        Assert.AreEqual("up", JsonNode.Parse(Tool(repo, "status", "--json").Output)!["state"]!.GetValue<string>());
        StringAssert.Contains(Gnt(repo, "node2", "gnt-node", "list", "--no-headers", "-o", "name,offline"), "node5 N");

        // hail places instances on the joined nodes too.
        foreach (var name in new[] { "inst1", "inst2", "inst3", "inst4" })
            Gnt(repo, "node2", "gnt-instance", "add", "-I", "hail", "-t", "diskless", "--no-nics", "-o", "noop", "-H", "fake",
                "--no-name-check", "--no-ip-check", name);
        var placed = Gnt(repo, "node2", "gnt-instance", "list", "--no-headers", "-o", "pnode").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.IsGreaterThan(2, placed.Distinct().Count(), string.Join(' ', placed));

        var burnin = Tool(repo, "burnin", "-t", "diskless", "-n", "2");
        Assert.AreEqual(0, burnin.ExitCode, burnin.ToString());
        verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());

        // Down and up resume it, with its new master.
        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
        var resumed = Tool(repo, "up");
        Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
        StringAssert.Contains(resumed.Output, "master node2");
        Assert.AreEqual(4, Regex.Matches(Gnt(repo, "node2", "gnt-instance", "list", "--no-headers", "-o", "status"), "running").Count);
        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
    }

    private static string Gnt(string repo, string node, params string[] command)
    {
        var run = Tool(repo, ["exec", node, "--", .. command]);
        Assert.AreEqual(0, run.ExitCode, $"{string.Join(' ', command)}: {run}");
        return run.Output;
    }
}
