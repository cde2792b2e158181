using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;
using VCluster.Engine.Planning;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>VClusterInstance items: expansion, addresses, and one test per error they can have.</summary>
[TestClass]
public sealed class DeclaredInstanceTests
{
    private const string Root = "/srv/vc";

    private static ClusterSpec Cluster(params InstanceSpec[] instances) => new()
    {
        Root = Root,
        Nodes = [new NodeSpec { Name = "node1", MemoryMiB = "8192", DiskGiB = "50" }, new NodeSpec { Name = "node2" }, new NodeSpec { Name = "node3" }],
        Instances = instances,
        InstanceCount = "2",
    };

    private static InstanceSpec Item(string name, string metadata = "") => InstanceSpec.Parse(metadata.Length == 0 ? name : $"{name}:{metadata}");

    [TestMethod]
    public void CountItemsExpandAndTakeAddressesAfterTheSpareNames()
    {
        var plan = ClusterPlanner.Plan(Cluster(
            Item("db1", "Template=file,MemoryMiB=4096,Cpus=4,DiskGiB=20,Node=node1"),
            Item("web", "Count=3,MemoryMiB=512,Cpus=1"),
            Item("old", "State=down,Os=noop")));

        CollectionAssert.AreEqual(new[] { "inst1", "inst2" }, plan.Instances.Select(i => i.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "db1", "web1", "web2", "web3", "old" }, plan.DeclaredInstances.Select(i => i.Name).ToArray());
        // Cluster IP .1, nodes .2-.4, spare names .5-.6, then the declared ones in order.
        Assert.AreEqual("192.0.2.7", plan.DeclaredInstances[0].Address.ToString());
        Assert.AreEqual("192.0.2.11", plan.DeclaredInstances[^1].Address.ToString());
        Assert.AreEqual(new DeclaredInstance("db1", plan.DeclaredInstances[0].Address, "db1", "file", 4096, 4, 20, "node1", null, true, "vcluster+default"),
            plan.DeclaredInstances[0]);
        var web = plan.DeclaredInstances[1];
        Assert.AreEqual(("diskless", 0, (string?)null, "web"), (web.Template, web.DiskGiB, web.Node, web.Item));
        var old = plan.DeclaredInstances[^1];
        Assert.AreEqual((false, "noop", (int?)null, (int?)null), (old.Running, old.Os, old.MemoryMiB, old.Cpus), "undeclared sizes are the cluster's defaults");
    }

    [TestMethod]
    public void InstancesPinnedToSeveralNodesAreSpreadEvenlyOverThem()
    {
        var plan = ClusterPlanner.Plan(Cluster(Item("db", "Node=node1"), Item("web", "Count=5,Node=*"), Item("app", "Count=2,Node=node2;node3")));
        CollectionAssert.AreEqual(new[] { "node1", "node2", "node3", "node1", "node2", "node3", "node2", "node3" },
            plan.DeclaredInstances.Select(i => i.Node).ToArray(), "each to the listed node with the fewest so far, the first such");
        StringAssert.Contains(SingleError(() => ClusterPlanner.Plan(Cluster(Item("x", "Node=node1;node7"))), ErrorCodes.UnknownInstanceNode).Message,
            "Node='node7' is not a node");
    }

    [TestMethod]
    public void ATemplateWithDisksGetsOneGibibyteWhereTheItemNamesNone()
    {
        var plan = ClusterPlanner.Plan(Cluster(Item("s", "Template=sharedfile")));
        Assert.AreEqual(InstancePlanner.DefaultDiskGiB, plan.DeclaredInstances.Single().DiskGiB);
    }

    [TestMethod]
    public void TheCommandLineFormTakesTheItemsMetadataNames()
    {
        var spec = InstanceSpec.Parse("web:count=2000, Template=diskless,MEMORYMIB=512");
        Assert.AreEqual(("web", "2000", "diskless", "512"), (spec.Name, spec.Count, spec.Template, spec.MemoryMiB));
        var e = Assert.ThrowsExactly<VClusterException>(() => InstanceSpec.Parse("web:Size=3"));
        Assert.AreEqual(ErrorCodes.InvalidInstance, e.Diagnostics.Single().Code);
        StringAssert.Contains(e.Message, "'Size=3' is not Key=Value with a key of Count, Template");
    }

    [TestMethod]
    [DataRow("bad_name", "", "the name is not a DNS label")]
    [DataRow("web", "Count=0", "Count='0' is not a whole number from 1 to 1000000")]
    [DataRow("web", "Count=x", "Count='x' is not a whole number")]
    [DataRow("w", "MemoryMiB=-5", "MemoryMiB='-5' is not a positive whole number")]
    [DataRow("w", "Cpus=two", "Cpus='two' is not a positive whole number")]
    [DataRow("w", "State=paused", "State='paused' is neither up nor down")]
    public void BadMetadataIsVcs0034(string name, string metadata, string message) =>
        StringAssert.Contains(SingleError(() => ClusterPlanner.Plan(Cluster(Item(name, metadata))), ErrorCodes.InvalidInstance).Message, message);

    [TestMethod]
    public void NamesTooLongOnceCountedAreRefused()
    {
        var name = new string('a', 62);
        var error = SingleError(() => ClusterPlanner.Plan(Cluster(Item(name, "Count=10"))), ErrorCodes.InvalidInstance);
        StringAssert.Contains(error.Message, $"the names {name}1 to {name}10 are not all DNS labels");
    }

    [TestMethod]
    [DataRow("node2", "", "'node2' is already the name of the cluster, a node or a spare instance name")]
    [DataRow("cluster", "", "'cluster' is already the name of the cluster")]
    [DataRow("inst", "Count=3", "'inst1' is already the name")]
    public void NamesClashingWithTheClusterNodesOrSpareNamesAreVcs0035(string name, string metadata, string message) =>
        StringAssert.Contains(SingleError(() => ClusterPlanner.Plan(Cluster(Item(name, metadata))), ErrorCodes.DuplicateInstanceName).Message, message);

    [TestMethod]
    public void TwoItemsDeclaringOneNameAreVcs0035()
    {
        var error = SingleError(() => ClusterPlanner.Plan(Cluster(Item("web", "Count=12"), Item("web1", ""))), ErrorCodes.DuplicateInstanceName);
        StringAssert.Contains(error.Message, "instance 'web1': 'web1' is also declared by instance item 'web'");
    }

    [TestMethod]
    public void AnUnknownNodeIsVcs0036()
    {
        var error = SingleError(() => ClusterPlanner.Plan(Cluster(Item("db", "Node=node9"))), ErrorCodes.UnknownInstanceNode);
        StringAssert.Contains(error.Message, "instance 'db': Node='node9' is not a node of the cluster (node1, node2, node3)");
    }

    [TestMethod]
    [DataRow("Template=drbd", "disk template 'drbd' is not one the cluster has (diskless, plain, file, sharedfile)")]
    [DataRow("Template=diskless,DiskGiB=5", "DiskGiB='5' on a diskless instance, which has no disks")]
    [DataRow("Template=file,Secondary=node2", "Secondary='node2': a file instance has no secondary node")]
    public void TemplatesTheClusterLacksAndTheirMisusesAreVcs0037(string metadata, string message) =>
        StringAssert.Contains(SingleError(() => ClusterPlanner.Plan(Cluster(Item("x", metadata))), ErrorCodes.UnsupportedDiskTemplate).Message, message);

    [TestMethod]
    public void PinnedInstancesBeyondTheirNodeSayWhichAndByHowMuch()
    {
        var error = SingleError(() => ClusterPlanner.Plan(Cluster(
            Item("db", "Count=3,MemoryMiB=4096,Node=node1"),
            Item("stopped", "MemoryMiB=4096,Node=node1,State=down"))), ErrorCodes.InstancesDoNotFit);
        StringAssert.Contains(error.Message,
            "node 'node1': its running pinned instances need 12,288 MiB of memory (db1 to db3) and the node has 8,192: 4,096 too much");

        var disk = SingleError(() => ClusterPlanner.Plan(Cluster(Item("f", "Count=2,Template=file,DiskGiB=30,Node=node1"))), ErrorCodes.InstancesDoNotFit);
        StringAssert.Contains(disk.Message, "node 'node1': its pinned file instances need 60 GiB of file storage (f1 to f2) and the node has 50: 10 too much");
    }

    [TestMethod]
    public void PlacedInstancesBeyondWhatTheNodesHaveLeftSayByHowMuch()
    {
        // 8192 + 4096 + 4096 MiB in all; 4096 of node1 go to the pinned db.
        var error = SingleError(() => ClusterPlanner.Plan(Cluster(
            Item("db", "MemoryMiB=4096,Node=node1"),
            Item("web", "Count=25,MemoryMiB=512"))), ErrorCodes.InstancesDoNotFit);
        StringAssert.Contains(error.Message,
            "the instances Ganeti's allocator is to place need 12,800 MiB of memory (web1 to web25) and the nodes have 12,288 left after the pinned ones: 512 too much");

        var big = SingleError(() => ClusterPlanner.Plan(Cluster(Item("big", "MemoryMiB=10000"))), ErrorCodes.InstancesDoNotFit);
        StringAssert.Contains(big.Message, "instance 'big' needs 10,000 MiB of memory and the most any node has left is 8,192: 1,808 too much");
    }

    [TestMethod]
    public void DeclaredInstancesCountTowardsTheNetwork()
    {
        var error = SingleError(() => ClusterPlanner.Plan(Cluster(Item("web", "Count=250"))), ErrorCodes.NetworkTooSmall);
        StringAssert.Contains(error.Message, "the cluster needs 256 (1 cluster IP, 3 nodes, 252 instances)");
    }

    [TestMethod]
    public void ErrorsPointAtTheItemsLine()
    {
        using var dir = new TempDir();
        var project = dir.Combine("cluster.proj");
        File.WriteAllText(project, """
            <Project Sdk="VCluster.Sdk">
              <ItemGroup>
                <VClusterInstance Include="web" Count="3" />
                <VClusterInstance Include="db" Node="nowhere" />
              </ItemGroup>
            </Project>
            """);
        var spec = Cluster(Item("web", "Count=3"), Item("db", "Node=nowhere"));
        var error = SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = spec.Root, Nodes = spec.Nodes, Instances = spec.Instances, SourceFile = project }),
            ErrorCodes.UnknownInstanceNode);
        Assert.AreEqual((project, 4), (error.File, error.Line));
    }
}
