using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;
using VCluster.Engine.Network;
using VCluster.Engine.Planning;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

[TestClass]
public sealed class PlannerTests
{
    private const string Root = "/srv/vc";

    [TestMethod]
    public void DefaultDeclarationIsThreeNodesWithTheFirstAsMaster()
    {
        var plan = ClusterPlanner.Plan(new ClusterSpec { Root = Root });

        Assert.AreEqual("cluster", plan.Name);
        CollectionAssert.AreEqual(new[] { "node1", "node2", "node3" }, plan.Nodes.Select(n => n.Name).ToArray());
        Assert.AreEqual("node1", plan.Master.Name);
        Assert.AreEqual("192.0.2.1", plan.ClusterAddress.ToString());
        CollectionAssert.AreEqual(new[] { "192.0.2.2", "192.0.2.3", "192.0.2.4" }, plan.Nodes.Select(n => n.Address.ToString()).ToArray());
        Assert.AreEqual("/srv/vc/nodes/node2", plan.Nodes[1].Root);
        Assert.AreEqual(ClusterPlanner.DefaultMemoryMiB, plan.Nodes[0].MemoryMiB);
    }

    [TestMethod]
    public void ExplicitAddressesAreKeptAndAutomaticOnesSkipThem()
    {
        var plan = ClusterPlanner.Plan(Spec(Root,
            new NodeSpec { Name = "a" },
            new NodeSpec { Name = "b", Address = "192.0.2.2", Master = "true", MemoryMiB = "2048", Cpus = "2", DiskGiB = "30" },
            new NodeSpec { Name = "c" }));

        Assert.AreEqual("192.0.2.3", plan.Nodes[0].Address.ToString());
        Assert.AreEqual("192.0.2.2", plan.Nodes[1].Address.ToString());
        Assert.AreEqual("192.0.2.4", plan.Nodes[2].Address.ToString());
        Assert.AreEqual("b", plan.Master.Name);
        Assert.AreEqual(2048, plan.Nodes[1].MemoryMiB);
        Assert.AreEqual(2, plan.Nodes[1].Cpus);
        Assert.AreEqual(30, plan.Nodes[1].DiskGiB);
    }

    [TestMethod]
    public void LargeNetworksHoldThousandsOfNodesAndInstances()
    {
        var plan = ClusterPlanner.Plan(new ClusterSpec { Root = Root, Network = "198.18.0.0/15", NodeCount = "3000", InstanceCount = "20000" });

        Assert.HasCount(3000, plan.Nodes);
        Assert.HasCount(20000, plan.Instances);
        var all = plan.Nodes.Select(n => n.Address).Concat(plan.Instances.Select(i => i.Address)).Append(plan.ClusterAddress).ToList();
        Assert.AreEqual(all.Count, all.Distinct().Count(), "every address is unique");
        Assert.IsTrue(all.All(plan.Network.ContainsHost));
        // Offsets from the network address: cluster IP 1, nodes 2..3001, instances 3002..23001.
        Assert.AreEqual("198.18.11.185", plan.Nodes[^1].Address.ToString()); // 3001 = 11 * 256 + 185
        Assert.AreEqual("198.18.89.217", plan.Instances[^1].Address.ToString()); // 23001 = 89 * 256 + 217
    }

    [TestMethod]
    [DataRow("192.0.2.0/24", 254L)]
    [DataRow("198.18.0.0/15", 131070L)]
    [DataRow("10.0.0.0/8", 16777214L)]
    public void NetworkHostCount(string cidr, long hosts)
    {
        Assert.IsTrue(Ipv4Network.TryParse(cidr, out var network, out _));
        Assert.AreEqual(hosts, network!.HostCount);
    }

    [TestMethod]
    public void InvalidClusterName() =>
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, Name = "bad_name" }), ErrorCodes.InvalidClusterName);

    [TestMethod]
    [DataRow("-node")]
    [DataRow("node.example")]
    [DataRow("n_1")]
    public void InvalidNodeName(string name) =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = name })), ErrorCodes.InvalidNodeName);

    [TestMethod]
    public void DuplicateNodeNamesDifferingInCase() =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "a" }, new NodeSpec { Name = "A" })), ErrorCodes.DuplicateNodeName);

    [TestMethod]
    public void DuplicateAddress() =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root,
            new NodeSpec { Name = "a", Address = "192.0.2.9" }, new NodeSpec { Name = "b", Address = "192.0.2.9" })), ErrorCodes.DuplicateAddress);

    [TestMethod]
    public void NodeOnTheClusterAddress() =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "a", Address = "192.0.2.1" })), ErrorCodes.DuplicateAddress);

    [TestMethod]
    [DataRow("192.0.3.5")]
    [DataRow("192.0.2.255")]
    [DataRow("192.0.2.0")]
    [DataRow("192.0.2.300")]
    public void AddressOutsideNetwork(string address) =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "a", Address = address })), ErrorCodes.AddressOutsideNetwork);

    [TestMethod]
    [DataRow("192.0.2.0")]
    [DataRow("192.0.2.1/24")]
    [DataRow("127.0.0.0/8")]
    [DataRow("192.0.2.0/31")]
    public void InvalidNetwork(string network) =>
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, Network = network }), ErrorCodes.InvalidNetwork);

    [TestMethod]
    public void NetworkTooSmallForNodesAndInstances()
    {
        var error = SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, Network = "192.0.2.0/28", NodeCount = "10", InstanceCount = "4" }), ErrorCodes.NetworkTooSmall);
        StringAssert.Contains(error.Message, "needs 15");
    }

    [TestMethod]
    public void TwoMasters() =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root,
            new NodeSpec { Name = "a", Master = "true" }, new NodeSpec { Name = "b", Master = "true" })), ErrorCodes.MasterCount);

    [TestMethod]
    public void NoMasterWhenEveryNodeSaysFalse() =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root,
            new NodeSpec { Name = "a", Master = "false" }, new NodeSpec { Name = "b", Master = "false" })), ErrorCodes.MasterCount);

    [TestMethod]
    public void RelativeRoot() =>
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = "relative/dir" }), ErrorCodes.InvalidRoot);

    [TestMethod]
    public void ADeepRootIsMountedAtAShortPathInTheSandbox()
    {
        // CI checkouts lie deep (/home/runner/work/<repo>/<repo>/...): far beyond what Unix
        // socket paths (107 bytes) could hold under the root itself.
        var deep = "/home/runner/work/" + string.Join('/', Enumerable.Repeat(new string('r', 40), 4));
        var plan = ClusterPlanner.Plan(new ClusterSpec { Root = deep });
        Assert.AreEqual(deep, plan.Root);
        Assert.AreEqual("/mnt", plan.SandboxRoot);
        Assert.AreEqual(deep + "/nodes/node1", plan.Nodes[0].Root);
        Assert.AreEqual("/mnt/nodes/node1", plan.Nodes[0].SandboxRoot);
        Assert.AreEqual("/mnt/nodes/node1/prefix", plan.Nodes[0].Prefix);
    }

    [TestMethod]
    public void ANodeNameTooLongForUnixSockets()
    {
        // /mnt/nodes/<name>/var/run/ganeti/socket/ganeti-wconfd must fit in 107 bytes.
        ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = new string('n', 60) }));
        SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = new string('n', 61) })), ErrorCodes.NodeNameTooLong);
    }

    [TestMethod]
    [DataRow("/srv/a\"b")]
    [DataRow("/srv/$HOME")]
    [DataRow("/srv/a`b")]
    public void ARootShellScriptsCannotQuote(string root) =>
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = root }), ErrorCodes.InvalidRoot);

    [TestMethod]
    [DataRow("0")]
    [DataRow("-1")]
    [DataRow("three")]
    public void InvalidNodeCount(string count) =>
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, NodeCount = count }), ErrorCodes.InvalidCount);

    [TestMethod]
    public void TheWatcherRunsEveryFiveMinutesUntilItsPassWouldCrowdTheMachine()
    {
        int For(string nodes, string? declared = null) =>
            ClusterPlanner.Plan(new ClusterSpec { Root = Root, Network = "198.18.0.0/15", NodeCount = nodes, WatcherInterval = declared }).WatcherInterval;
        Assert.AreEqual(300, For("3"));
        Assert.AreEqual(300, For("100"));
        Assert.AreEqual(750, For("250"));
        Assert.AreEqual(1200, For("400"));
        Assert.AreEqual(60, For("400", declared: "60"));
        Assert.AreEqual(0, For("400", declared: "0"));
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = Root, WatcherInterval = "soon" }), ErrorCodes.InvalidCount);
    }

    [TestMethod]
    public void InvalidResource() =>
        SingleError(() => ClusterPlanner.Plan(Spec(Root, new NodeSpec { Name = "a", MemoryMiB = "lots" })), ErrorCodes.InvalidResource);

    [TestMethod]
    public void EveryErrorIsReportedAtOnce()
    {
        var e = Assert.ThrowsExactly<VClusterException>(() => ClusterPlanner.Plan(new ClusterSpec { Root = "rel", Name = "x_y", Network = "nope" }));
        CollectionAssert.AreEquivalent(new[] { ErrorCodes.InvalidClusterName, ErrorCodes.InvalidRoot, ErrorCodes.InvalidNetwork },
            e.Diagnostics.Select(d => d.Code).ToArray());
    }

    [TestMethod]
    public void ErrorsPointAtTheProjectLine()
    {
        using var dir = new TempDir();
        var project = dir.Combine("c.proj");
        File.WriteAllText(project, """
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNetwork>192.0.2.0/30</VClusterNetwork>
              </PropertyGroup>
              <ItemGroup>
                <VClusterNode Include="a" />
                <VClusterNode Include="b" Address="10.1.1.1" />
              </ItemGroup>
            </Project>
            """);
        var e = Assert.ThrowsExactly<VClusterException>(() => ClusterPlanner.Plan(new ClusterSpec
        {
            Root = Root,
            Network = "192.0.2.0/30",
            SourceFile = project,
            Nodes = [new NodeSpec { Name = "a" }, new NodeSpec { Name = "b", Address = "10.1.1.1" }],
        }));
        var outside = e.Diagnostics.Single(d => d.Code == ErrorCodes.AddressOutsideNetwork);
        Assert.AreEqual(project, outside.File);
        Assert.AreEqual(7, outside.Line);
        StringAssert.StartsWith(outside.ToString(), $"{project}(7,5)");
        StringAssert.Contains(outside.ToString(), "error VCS0005: node 'b': address 10.1.1.1 is outside the network 192.0.2.0/30");
    }
}
