using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Tests.Lifecycle;

/// <summary>
/// Clock skew and the master's roles on a fake machine: the file a skewed node's cmd reads,
/// the node's restart, status, heal, a new sandbox; the master as most nodes' ssconf name it;
/// failovers the tool refuses before Ganeti is asked. The end-to-end FaultTests and
/// FailoverTests show them on real Ganeti.
/// </summary>
[TestClass]
public sealed class ClockSkewAndFailoverTests
{
    [TestMethod]
    public void ASkewIsLibfaketimeInTheNodesPreloadUntilHealedOrANewSandbox()
    {
        using var cluster = new TestCluster();
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.AreEqual(0, cluster.Runtime().Skew("node3", -600, CancellationToken.None));

        var file = ClusterRootLayout.On(cluster.Root, ClusterRootLayout.ClockSkewDir + "/node3");
        var text = File.ReadAllText(file);
        StringAssert.StartsWith(text, "export LD_PRELOAD=\"${LD_PRELOAD:+$LD_PRELOAD }/usr/lib/");
        StringAssert.Contains(text, "/faketime/libfaketime.so.1\" FAKETIME=\"-600\" DONT_FAKE_MONOTONIC=1");
        StringAssert.Contains(cluster.Progress.ToString(), "node node3: stopped");
        StringAssert.Contains(cluster.Progress.ToString(), "node node3: started");
        StringAssert.Contains(cluster.Progress.ToString(), "skew: node3's clock 600 s behind");
        Assert.AreEqual(-600, cluster.Runtime().Status().ClockSkews["node3"]);
        Assert.IsEmpty(StoppedNodes.Read(cluster.Root), "restarted, not left stopped");

        Assert.AreEqual(0, cluster.Runtime().Heal("node2", CancellationToken.None));
        Assert.IsTrue(File.Exists(file), "healing node2 leaves node3's clock");
        Assert.AreEqual(0, cluster.Runtime().Heal(null, CancellationToken.None));
        Assert.IsFalse(File.Exists(file));
        Assert.IsEmpty(cluster.Runtime().Status().ClockSkews);

        Assert.AreEqual(0, cluster.Runtime().Skew("node2", 300, CancellationToken.None));
        cluster.Runtime().Down(CancellationToken.None);
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.IsEmpty(cluster.Runtime().Status().ClockSkews, "a new sandbox starts with true clocks");
    }

    [TestMethod]
    public void SkewsOfNoSecondsOrOfNoNodeAreErrors()
    {
        using var cluster = new TestCluster();
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        var zero = Assert.ThrowsExactly<VClusterException>(() => cluster.Runtime().Skew("node1", 0, CancellationToken.None));
        Assert.AreEqual(ErrorCodes.InvalidFault, zero.Diagnostics.Single().Code);
        var unknown = Assert.ThrowsExactly<VClusterException>(() => cluster.Runtime().Skew("node9", 60, CancellationToken.None));
        StringAssert.Contains(unknown.Diagnostics.Single().Message, "no node node9");
        Assert.IsEmpty(cluster.Runtime().Status().ClockSkews);
    }

    [TestMethod]
    public void TheMasterIsWhatMostNodesSsconfNames()
    {
        using var cluster = new TestCluster();
        void Names(string node, string master) =>
            File.WriteAllText(Path.Combine(cluster.Manifest.Node(node).Root, "var/lib/ganeti/ssconf_master_node"), master + "\n");
        Assert.AreEqual("node1", cluster.Runtime().Session.Roles().Master);
        // node1 failed over to node2 with --no-voting while down: its own file still names it.
        Names("node2", "node2");
        Names("node3", "node2");
        Assert.AreEqual("node2", cluster.Runtime().Session.Roles().Master);
        Assert.AreEqual("node1", ClusterRoles.MasterNamedBy(cluster.Manifest.Node("node1")));
    }

    [TestMethod]
    public void AFailoverToTheMasterOrToNoNodeIsRefused()
    {
        using var cluster = new TestCluster();
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        string Refused(string? node)
        {
            var e = Assert.ThrowsExactly<VClusterException>(() => cluster.Runtime().Failover(node, false, CancellationToken.None));
            Assert.AreEqual(ErrorCodes.FailoverFailed, e.Diagnostics.Single().Code);
            return e.Diagnostics.Single().Message;
        }
        StringAssert.Contains(Refused("node1"), "node1 is the master already");
        StringAssert.Contains(Refused("node9"), "no node node9");
        File.WriteAllText(Path.Combine(cluster.Manifest.Node("node1").Root, "var/lib/ganeti/ssconf_master_candidates"), "node1\nnode2\n");
        StringAssert.Contains(Refused("node3"), "node3 is not a master candidate");
    }
}
