using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Populating in bulk is a shortcut: it must leave what Ganeti's own jobs leave
/// (<c>gnt-instance batch-create</c> of the same definitions). The same mixed set (diskless,
/// file and sharedfile; pinned, spread and placed by hail; running and down) is made both ways
/// and compared, normalised only for what docs/instances.md lists; then the populated cluster
/// must do what any cluster does with its instances.
/// </summary>
[TestClass]
public sealed class InstanceEquivalenceTests
{
    // Nodes of unequal sizes: hail breaks a tie between equal nodes by their order, which
    // follows their random UUIDs, so two clusters with equal nodes may place differently
    // whichever way each is populated.
    private static string Project(string populate, string extraItems = "") => $"""
        <Project Sdk="VCluster.Sdk">
          <PropertyGroup>
            <VClusterPopulate>{populate}</VClusterPopulate>
            <VClusterInstanceCount>4</VClusterInstanceCount>
          </PropertyGroup>
          <ItemGroup>
            <VClusterNode Include="node1" MemoryMiB="8192" Cpus="8" DiskGiB="100" />
            <VClusterNode Include="node2" MemoryMiB="6144" Cpus="6" DiskGiB="80" />
            <VClusterNode Include="node3" MemoryMiB="4096" Cpus="4" DiskGiB="60" />
            <VClusterNode Include="node4" MemoryMiB="3072" Cpus="3" DiskGiB="40" />
            <VClusterInstance Include="db1" Template="file" DiskGiB="2" MemoryMiB="1024" Cpus="2" Node="node2" />
            <VClusterInstance Include="off" State="down" Node="node3" />
            <VClusterInstance Include="spread" Count="2" MemoryMiB="256" Node="*" />
            <VClusterInstance Include="web" Count="6" MemoryMiB="512" />
            <VClusterInstance Include="app" Count="2" Template="file" DiskGiB="5" MemoryMiB="768" />
            <VClusterInstance Include="s" Count="2" Template="sharedfile" MemoryMiB="256" />
            {extraItems}
          </ItemGroup>
        </Project>
        """;

    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void BulkPopulationLeavesWhatGanetisJobsLeave()
    {
        var jobs = NewRepository(Project("jobs"));
        var up = As(jobs, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, "gnt-instance batch-create of 4 instances");
        StringAssert.Contains(up.Output, "gnt-instance batch-create of 10 instances (-I hail)");
        StringAssert.Contains(up.Output, "declared instances: 14 added");

        var bulk = NewRepository(Project("bulk"));
        up = As(bulk, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, "creating 14 instances at once");
        StringAssert.Contains(up.Output, "declared instances: 14 added");
        Assert.DoesNotContain("INSTANCE_CREATE", Gnt(bulk, "node1", "gnt-job", "list", "--no-headers", "-o", "summary"), "no creation job ran");

        var expected = ClusterSnapshot.Take(Path.Combine(jobs, ".vcluster/cluster"));
        var actual = ClusterSnapshot.Take(Path.Combine(bulk, ".vcluster/cluster"));
        Assert.AreEqual(expected.Configuration, actual.Configuration, "configuration");
        foreach (var (node, files) in expected.Nodes)
        {
            var differences = files.Except(actual.Nodes[node]).Select(f => $"only jobs: {f}")
                .Concat(actual.Nodes[node].Except(files).Select(f => $"only bulk: {f}")).ToList();
            Assert.IsEmpty(differences, $"{node}:\n{string.Join('\n', differences)}");
        }
        Assert.AreEqual(0, Tool(jobs, "down").ExitCode);

        AfterPopulatingTheClusterWorks(bulk);
    }

    private static void AfterPopulatingTheClusterWorks(string repo)
    {
        var verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        CollectionAssert.AreEqual(Declared(), Listed(repo), "each instance in its declared state");

        // What operators do with instances: failover and migrate (shared storage), move (file),
        // reboot, modify, remove.
        var pnode = Field(repo, "s1", "pnode");
        Gnt(repo, "node1", "gnt-instance", "failover", "-f", "s1");
        Assert.AreNotEqual(pnode, Field(repo, "s1", "pnode"), "s1 failed over");
        pnode = Field(repo, "s2", "pnode");
        Gnt(repo, "node1", "gnt-instance", "migrate", "-f", "s2");
        Assert.AreNotEqual(pnode, Field(repo, "s2", "pnode"), "s2 migrated");
        var target = Field(repo, "app1", "pnode") == "node4" ? "node3" : "node4";
        Gnt(repo, "node1", "gnt-instance", "move", "-f", "-n", target, "app1");
        Assert.AreEqual($"{target} running", Field(repo, "app1", "pnode,status"));
        Gnt(repo, "node1", "gnt-instance", "reboot", "web1");
        Gnt(repo, "node1", "gnt-instance", "modify", "-B", "maxmem=384,minmem=384", "web2");
        Gnt(repo, "node1", "gnt-instance", "remove", "-f", "web3");

        // HTools plan on the populated cluster: hbal, hspace, and hail placing one more.
        StringAssert.Contains(Gnt(repo, "node1", "hbal", "-L"), "Loaded 4 nodes, 13 instances");
        StringAssert.Contains(Gnt(repo, "node1", "hspace", "-L"), "The cluster has 4 nodes");
        Gnt(repo, "node1", "gnt-instance", "add", "-I", "hail", "-t", "diskless", "-o", "noop", "--no-name-check", "--no-ip-check", "--no-nics", "inst1");
        var burnin = Tool(repo, "burnin", "-t", "diskless", "-n", "2");
        Assert.AreEqual(0, burnin.ExitCode, burnin.ToString());
        verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());

        // Down and up keep them all; up adds only what is declared and missing (web3 removed
        // above, and a new item), names what differs (web2's memory) and touches nothing else.
        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
        File.WriteAllText(Path.Combine(repo, "cluster.proj"), Project("bulk", """<VClusterInstance Include="late" Node="node4" />"""));
        var again = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        StringAssert.Contains(again.Output, "instance web2 differs from its declaration (memory MiB 384, declared 512): left as it is");
        StringAssert.Contains(again.Output, "declared instances: 2 added");
        StringAssert.Contains(again.Output, "13 were present");
        var listed = Listed(repo);
        Assert.AreEqual("late node4 running", listed.Single(l => l.StartsWith("late ", StringComparison.Ordinal)));
        Assert.AreEqual(Declared().Count + 2, listed.Count, "every declared instance, inst1 and late: " + string.Join('\n', listed));
        Assert.AreEqual($"{target} running", Field(repo, "app1", "pnode,status"), "a moved instance stays where it was moved");
        verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
    }

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void ABulkCreationThatFailsLeavesNothingHalfMade()
    {
        // The second instance names an OS no node has: Ganeti refuses it after the first was
        // made (its disk written, it started): the first is undone on its node.
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterNodeCount>2</VClusterNodeCount></PropertyGroup>
              <ItemGroup>
                <VClusterInstance Include="good1" Template="file" DiskGiB="1" Node="node2" />
                <VClusterInstance Include="bad1" Os="nosuch" Node="node2" />
              </ItemGroup>
            </Project>
            """);
        try
        {
            var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
            Assert.AreNotEqual(0, up.ExitCode, up.ToString());
            StringAssert.Contains(up.Output, "error VCS0039: creating the declared instances failed on node1");
            StringAssert.Contains(up.Output, "nosuch");
            StringAssert.Contains(up.Output, "undid on their nodes what was done for: good1; the configuration is as before");
            Assert.AreEqual("", Gnt(repo, "node1", "gnt-instance", "list", "--no-headers", "-o", "name").Trim());
            var node2 = Path.Combine(repo, ".vcluster/cluster/nodes/node2");
            Assert.IsFalse(Directory.Exists(Path.Combine(node2, "srv/ganeti/file-storage/good1")), "good1's disk is removed");
            Assert.IsFalse(File.Exists(Path.Combine(node2, "var/run/ganeti/fake-hypervisor/good1")), "good1 is stopped");

            // The cause gone, the next up creates good1 on a clean node.
            File.WriteAllText(Path.Combine(repo, "cluster.proj"), File.ReadAllText(Path.Combine(repo, "cluster.proj")).Replace("Os=\"nosuch\"", ""));
            var again = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            CollectionAssert.AreEquivalent(new[] { "bad1 node2 running", "good1 node2 running" }, Listed(repo).ToArray());
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>The declared instances with the state they are declared in: "name state".</summary>
    private static List<string> Declared() =>
        ["app1 running", "app2 running", "db1 running", "off ADMIN_down", "s1 running", "s2 running", "spread1 running", "spread2 running",
         .. Enumerable.Range(1, 6).Select(i => $"web{i} running")];

    /// <summary>Every instance as "name status", or "name pnode status" for late ones.</summary>
    private static List<string> Listed(string repo) =>
        Gnt(repo, "node1", "gnt-instance", "list", "--no-headers", "-o", "name,pnode,status").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => f[0] is "late" or "good1" or "bad1" ? string.Join(' ', f) : $"{f[0]} {f[2]}").Order(StringComparer.Ordinal).ToList();

    private static string Field(string repo, string instance, string fields) =>
        string.Join(' ', Gnt(repo, "node1", "gnt-instance", "list", "--no-headers", "-o", fields, instance).Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim();

    private static string Gnt(string repo, string node, params string[] command)
    {
        var run = Tool(repo, ["exec", node, "--", .. command]);
        Assert.AreEqual(0, run.ExitCode, $"{string.Join(' ', command)}: {run}");
        return run.Output;
    }
}
