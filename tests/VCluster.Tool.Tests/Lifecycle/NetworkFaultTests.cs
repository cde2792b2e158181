using VCluster.Engine.Diagnostics;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Faults;

namespace VCluster.Tool.Tests.Lifecycle;

/// <summary>
/// Network faults on a fake machine: what nft is given (one rule per partition and way, on
/// address sets), what the run-time state and status keep, what heal takes away, and the
/// errors for faults that name no node or cut nothing. The end-to-end FaultTests show Ganeti
/// seeing them on a real cluster.
/// </summary>
[TestClass]
public sealed class NetworkFaultTests
{
    [TestMethod]
    public void APartitionIsTwoRulesOnAddressSetsAndTheMasterTakesTheClusterAddressAlong()
    {
        var addresses = new Dictionary<string, string[]>
        {
            ["node1"] = ["192.0.2.2", "192.0.2.1"], ["node2"] = ["192.0.2.3"], ["node3"] = ["192.0.2.4"],
        };
        var rules = NetworkFaults.Ruleset(
            [new NetworkFault(NetworkFault.Partition, ["node3"], ["node1", "node2"], false), new NetworkFault(NetworkFault.Partition, ["node2"], ["node1"], true)],
            node => addresses[node]);
        StringAssert.StartsWith(rules, "table inet vcluster_faults\ndelete table inet vcluster_faults\ntable inet vcluster_faults {\n");
        StringAssert.Contains(rules, "set cut0 { type ipv4_addr; elements = { 192.0.2.4 } }");
        StringAssert.Contains(rules, "set from0 { type ipv4_addr; elements = { 192.0.2.2, 192.0.2.1, 192.0.2.3 } }");
        StringAssert.Contains(rules, "ip saddr @from0 ip daddr @cut0 drop\n    ip saddr @cut0 ip daddr @from0 drop\n");
        StringAssert.Contains(rules, "ip saddr @from1 ip daddr @cut1 drop\n  }");
        Assert.AreEqual(3, rules.Split('\n').Count(l => l.Contains(" drop", StringComparison.Ordinal)), "one way: one rule");

        // Healed: the table stays, empty.
        var none = NetworkFaults.Ruleset([], node => addresses[node]);
        Assert.AreEqual(0, none.Split('\n').Count(l => l.Contains(" drop", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void LossRateAndResetAreTheSameRulesWithOtherVerdicts()
    {
        string[] Of(string node) => [node == "node1" ? "192.0.2.2" : "192.0.2.3"];
        var rules = NetworkFaults.Ruleset(
        [
            new NetworkFault(NetworkFault.Loss, ["node2"], ["node1"], false, 30),
            new NetworkFault(NetworkFault.Rate, ["node2"], ["node1"], true, 800),
            new NetworkFault(NetworkFault.Reset, ["node2"], ["node1"], false),
        ], Of);
        StringAssert.Contains(rules, "ip saddr @from0 ip daddr @cut0 numgen random mod 100 < 30 drop\n    ip saddr @cut0 ip daddr @from0 numgen random mod 100 < 30 drop\n");
        StringAssert.Contains(rules, "ip saddr @from1 ip daddr @cut1 limit rate over 100 kbytes/second burst 64 kbytes drop\n    ip saddr @from2");
        StringAssert.Contains(rules, "ip saddr @cut2 ip daddr @from2 meta l4proto tcp tcp flags & rst == 0 reject with tcp reset\n");
        Assert.AreEqual("loss 30%: between node2 and node1", new NetworkFault(NetworkFault.Loss, ["node2"], ["node1"], false, 30).Describe());
        Assert.AreEqual("rate 800 kbit/s: what node1 sends to node2 (one way)", new NetworkFault(NetworkFault.Rate, ["node2"], ["node1"], true, 800).Describe());
    }

    [TestMethod]
    public void AResetAlsoEndsTheNodesOpenConnections()
    {
        using var cluster = new TestCluster();
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Reset, ["node2"], [], false));
        var address = cluster.Manifest.Node("node2").Address;
        Assert.IsTrue(cluster.Host.Commands.Last().EndsWith($"-- ss --kill --tcp state established ( src {address} or dst {address} )", StringComparison.Ordinal), cluster.Host.Commands.Last());
        Assert.AreEqual(NetworkFault.Reset, cluster.State!.Faults.Single().Kind);
    }

    [TestMethod]
    public void ADelayMarksItsPacketsInAChainBeforeIptablesMangle()
    {
        string[] Of(string node) => [node == "node1" ? "192.0.2.2" : "192.0.2.3"];
        var delay = new NetworkFault(NetworkFault.Delay, ["node2"], ["node1"], false, 100, 20);
        var rules = NetworkFaults.Ruleset([new NetworkFault(NetworkFault.Partition, ["node2"], ["node1"], true), delay], Of);
        StringAssert.Contains(rules, "  chain delay {\n    type filter hook output priority -200; policy accept;\n" +
            "    ip saddr @from1 ip daddr @cut1 meta mark set 0x7c100002\n    ip saddr @cut1 ip daddr @from1 meta mark set 0x7c100002\n  }\n}\n");
        Assert.AreEqual(1, rules.Split('\n').Count(l => l.Contains(" drop", StringComparison.Ordinal)), "the delay drops nothing");
        Assert.DoesNotContain("chain delay", NetworkFaults.Ruleset([new NetworkFault(NetworkFault.Partition, ["node2"], ["node1"], true)], Of));
        Assert.AreEqual("delay 100 ms ± 20 ms: between node2 and node1", delay.Describe());
        CollectionAssert.AreEqual(new[] { "1", "0x7c100002=100:20" }, PacketDelays.Arguments([new NetworkFault(NetworkFault.Loss, ["node2"], ["node1"], false, 5), delay]).ToArray());
    }

    [TestMethod]
    public void ThePacketDelayProgramRunsInTheSandboxOnlyWhileADelayIsInForce()
    {
        using var cluster = new TestCluster();
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        var queueRule = "iptables-nft -t mangle {0} OUTPUT -m mark --mark 0x7c100000/0xffff0000 -j NFQUEUE --queue-num 1 --queue-bypass";
        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Partition, ["node3"], ["node1"], true));
        Assert.IsFalse(cluster.Host.Commands.Any(c => c.Contains("iptables-nft", StringComparison.Ordinal) && !c.Contains(" -D ", StringComparison.Ordinal)), "no delay, no queue");

        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Delay, ["node2"], ["node1"], false, 100, 20));
        Assert.IsTrue(cluster.Host.Commands.Any(c => c.EndsWith("-- " + string.Format(queueRule, "-A"), StringComparison.Ordinal)), string.Join('\n', cluster.Host.Commands));
        var program = Path.Combine(cluster.Manifest.Root, ".state/run/vcluster-packet-delay");
        CollectionAssert.AreEqual(VCluster.Engine.Model.NativeParts.Read(PacketDelays.ProgramName), File.ReadAllBytes(program), "this build's program, where the sandbox sees it");
        var started = cluster.Host.Commands.Where(c => c.Contains("vcluster-packet-delay 1 ", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, started);
        StringAssert.EndsWith(started[0], $"-- {cluster.Manifest.SandboxRoot}/.state/run/vcluster-packet-delay 1 0x7c100002=100:20");
        Assert.AreEqual("1 0x7c100002=100:20", cluster.State!.PacketDelays);
        Assert.ContainsSingle(cluster.State!.Processes.Where(p => p.Name == PacketDelays.ServiceName));
        Assert.AreEqual("delay 100 ms ± 20 ms: between node2 and node1", cluster.Runtime().Status().Faults[1].Describe());

        // Another fault leaves the program as it is; healing the partition renumbers the delay's mark.
        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Loss, ["node3"], [], false, 10));
        Assert.HasCount(1, cluster.Host.Commands.Where(c => c.Contains("vcluster-packet-delay 1 ", StringComparison.Ordinal)));
        Assert.AreEqual(0, cluster.Runtime().Heal("node3", CancellationToken.None));
        Assert.AreEqual("1 0x7c100001=100:20", cluster.State!.PacketDelays);
        Assert.HasCount(1, cluster.Host.Signals.Where(s => s == "SIGTERM vcluster-packet-delay"), "restarted with the new mark, ended by SIGTERM");
        StringAssert.EndsWith(cluster.Host.Commands.Last(c => c.Contains("vcluster-packet-delay 1 ", StringComparison.Ordinal)), "vcluster-packet-delay 1 0x7c100001=100:20");

        // No delay left: the program ends (SIGTERM lets its packets go), and the queue rule goes.
        Assert.AreEqual(0, cluster.Runtime().Heal("node2", CancellationToken.None));
        Assert.IsNull(cluster.State!.PacketDelays);
        Assert.IsFalse(cluster.State!.Processes.Any(p => p.Name == PacketDelays.ServiceName));
        Assert.IsTrue(cluster.Host.Commands.Last().EndsWith("-- " + string.Format(queueRule, "-D"), StringComparison.Ordinal), cluster.Host.Commands.Last());
        Assert.HasCount(2, cluster.Host.Signals.Where(s => s == "SIGTERM vcluster-packet-delay"));
    }

    [TestMethod]
    public void ARuleCountDoesNotGrowWithTheNodes()
    {
        var nodes = Enumerable.Range(1, 250).Select(i => $"node{i}").ToList();
        var rules = NetworkFaults.Ruleset([new NetworkFault(NetworkFault.Partition, nodes.Take(125).ToList(), nodes.Skip(125).ToList(), false)],
            node => [$"10.0.{int.Parse(node[4..]) / 256}.{int.Parse(node[4..]) % 256}"]);
        Assert.AreEqual(2, rules.Split('\n').Count(l => l.Contains(" drop", StringComparison.Ordinal)));
        Assert.AreEqual(250, rules.Split("10.0.").Length - 1, "each address once, in one of two sets");
    }

    [TestMethod]
    public void PartitionAndHealGoToNftInTheSandboxAndStatusShowsWhatIsInForce()
    {
        using var cluster = new TestCluster();
        var runtime = cluster.Runtime();
        Assert.AreEqual(0, runtime.Up(CancellationToken.None));

        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Partition, ["node3"], [], false));
        var nft = cluster.Host.Commands.Last();
        StringAssert.StartsWith(nft, $"nsenter --preserve-credentials --user --net --target {cluster.State!.SandboxPid} -- nft -f ");
        var partition = cluster.State!.Faults.Single();
        CollectionAssert.AreEqual(new[] { "node3" }, partition.Nodes);
        CollectionAssert.AreEqual(new[] { "node1", "node2" }, partition.From, "every other node");
        var rules = File.ReadAllText(nft.Split(' ')[^1]);
        StringAssert.Contains(rules, $"set cut0 {{ type ipv4_addr; elements = {{ {cluster.Manifest.Node("node3").Address} }} }}");
        StringAssert.Contains(rules, cluster.Manifest.ClusterAddress, "the master's set holds the cluster's address");
        Assert.AreEqual(partition.Describe(), cluster.Runtime().Status().Faults.Single().Describe());

        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Partition, ["node2"], ["node1"], true));
        Assert.HasCount(2, cluster.State!.Faults);
        Assert.AreEqual(0, cluster.Runtime().Heal("node3", CancellationToken.None));
        Assert.AreEqual("node2", cluster.State!.Faults.Single().Nodes.Single(), "only the faults that involve node3");
        Assert.AreEqual(0, cluster.Runtime().Heal(null, CancellationToken.None));
        Assert.IsEmpty(cluster.State!.Faults);
        Assert.DoesNotContain("drop", File.ReadAllText(cluster.Host.Commands.Last().Split(' ')[^1]));

        // A new sandbox has a network of its own: no faults.
        Assert.AreEqual(0, cluster.Runtime().Fault(NetworkFault.Partition, ["node1"], [], false));
        cluster.Runtime().Down(CancellationToken.None);
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.IsEmpty(cluster.State!.Faults);
        Assert.IsEmpty(cluster.Runtime().Status().Faults);
    }

    [TestMethod]
    public void FaultsThatNameNoNodeOrCutNothingAreErrors()
    {
        using var cluster = new TestCluster();
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        string Error(Action action)
        {
            var e = Assert.ThrowsExactly<VClusterException>(action);
            Assert.AreEqual(ErrorCodes.InvalidFault, e.Diagnostics.Single().Code);
            return e.Diagnostics.Single().Message;
        }
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Partition, ["node9"], [], false)), "no node node9");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Partition, ["node1"], ["node1"], false)), "both sides");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Partition, ["node1", "node2", "node3"], [], false)), "touches nothing");
        StringAssert.Contains(Error(() => cluster.Runtime().Heal("node9", CancellationToken.None)), "no node node9");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Loss, ["node1"], [], false, 0)), "from 1 to 100");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Loss, ["node1"], [], false, 101)), "from 1 to 100");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Rate, ["node1"], [], false, 4)), "at least 8 kbit/s");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Delay, ["node1"], [], false, 0)), "from 1 to 60000 ms");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Delay, ["node1"], [], false, 60001)), "from 1 to 60000 ms");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Delay, ["node1"], [], false, 100, 101)), "jitter is from 0 to the delay (100 ms)");
        StringAssert.Contains(Error(() => cluster.Runtime().Fault(NetworkFault.Delay, ["node1"], [], false, 100, -1)), "jitter is from 0 to the delay");
        Assert.IsEmpty(cluster.State!.Faults, "nothing applied");
    }
}
