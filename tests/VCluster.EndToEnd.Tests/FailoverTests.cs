using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Failover drills on real Ganeti, as an ordinary user: Ganeti's own master-failover moves the
/// master, then the drill an operator fears: the master's machine crashes (kill-node), the
/// master is failed over without the nodes' vote, and the old master comes back as a
/// non-master. After each, status, RAPI from the host, verify and the next down/up follow the
/// master Ganeti names.
/// </summary>
[TestClass]
public sealed class FailoverTests
{
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void TheMasterMovesAndACrashedMasterComesBackAsANonMaster()
    {
        var repo = UpRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>3</VClusterNodeCount>
              </PropertyGroup>
              <ItemGroup>
                <VClusterInstance Include="web" Count="2" Template="diskless" Node="node2" />
              </ItemGroup>
            </Project>
            """);
        try
        {
            AssertMaster(repo, "node1");

            // An orderly failover: the first running master candidate (node2) takes over.
            var failover = ToolRaw(repo, "failover");
            Assert.AreEqual(0, failover.ExitCode, failover.ToString());
            StringAssert.Contains(failover.Output, "node2: gnt-cluster master-failover", failover.ToString());
            StringAssert.Contains(failover.Output, "master: node1 -> node2", failover.ToString());
            AssertMaster(repo, "node2");

            // The master's machine crashes; node3 is made master without the dead node's vote.
            Assert.AreEqual(0, ToolRaw(repo, "kill-node", "node2").ExitCode);
            var refused = ToolRaw(repo, "failover", "node2");
            Assert.AreNotEqual(0, refused.ExitCode);
            StringAssert.Contains(refused.Output, "VCS0053", refused.ToString());
            var noVoting = ToolRaw(repo, "failover", "node3", "--no-voting");
            Assert.AreEqual(0, noVoting.ExitCode, noVoting.ToString());
            StringAssert.Contains(noVoting.Output, "gnt-cluster master-failover --no-voting --yes-do-it", noVoting.ToString());
            StringAssert.Contains(noVoting.Output, "master: node2 -> node3", noVoting.ToString());
            StringAssert.Contains(Rapi(repo, "/2/info"), "\"master\": \"node3\"");

            // The old master comes back as a non-master; Ganeti's step for it (redist-conf) runs.
            var back = ToolRaw(repo, "start-node", "node2");
            Assert.AreEqual(0, back.ExitCode, back.ToString());
            StringAssert.Contains(back.Output, "node2 names node2 as its master, the cluster node3: gnt-cluster redist-conf on node3", back.ToString());
            Assert.AreEqual("node3", Tool(repo, "exec", "node2", "--", "cat", "/var/lib/ganeti/ssconf_master_node").Output.Trim());
            AssertMaster(repo, "node3");

            // The next down and up follow the master Ganeti names.
            Assert.AreEqual(0, Tool(repo, "down").ExitCode);
            var again = Tool(repo, "up");
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            StringAssert.Contains(again.Output, "master node3", again.ToString());
            AssertMaster(repo, "node3");
            StringAssert.Contains(Tool(repo, "exec", "node3", "--", "gnt-instance", "list", "--no-headers", "-o", "name").Output, "web2");
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>status, RAPI from the host and Ganeti's verify agree on the master, every daemon of its role running.</summary>
    private static void AssertMaster(string repo, string master)
    {
        var status = JsonNode.Parse(Tool(repo, "status", "--json").Output)!;
        Assert.AreEqual("up", (string?)status["state"], status.ToJsonString());
        Assert.AreEqual(master, (string?)status["nodes"]!.AsArray().Single(n => (bool)n!["master"]!)!["name"], status.ToJsonString());
        StringAssert.Contains((string?)status["rapi"]!["target"], master, status.ToJsonString());
        StringAssert.Contains(Rapi(repo, "/2/info"), $"\"master\": \"{master}\"");
        var verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
    }

    private static string Rapi(string repo, string path)
    {
        var url = (string)JsonNode.Parse(Tool(repo, "status", "--json").Output)!["rapi"]!["url"]!;
        var credentials = File.ReadAllText(Path.Combine(repo, ".vcluster/cluster/rapi-credentials")).Trim();
        var run = As(repo, ["curl", "-sS", "-k", "--fail-with-body", "-u", credentials, url + path]);
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        return run.Output;
    }
}
