using System.Diagnostics;
using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// A network partition between real Ganeti nodes, as an ordinary user: every node's
/// connections leave from its own address, so the rule cuts exactly the node named; Ganeti's
/// verify reports the node cut off and its RPCs to it time out within Ganeti's own timeouts
/// (the project keeps Ganeti's 5-s connect timeout); after heal verify is clean again.
/// </summary>
[TestClass]
public sealed class FaultTests
{
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void APartitionedNodeIsWhatGanetiSeesCutOffUntilHealed()
    {
        var repo = UpCluster(nodes: 3);
        try
        {
            var nodes = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, ".vcluster/cluster/vcluster.json")))!["nodes"]!.AsArray();
            string Address(string name) => (string)nodes.Single(n => (string?)n!["name"] == name)!["address"]!;

            // A node's connection to another leaves from its own address, as between machines.
            var source = Tool(repo, "exec", "node2", "--", "python3", "-c",
                $"import socket; print(socket.create_connection(('{Address("node1")}', 1811)).getsockname()[0])");
            Assert.AreEqual(0, source.ExitCode, source.ToString());
            Assert.AreEqual(Address("node2"), source.Output.Trim(), source.ToString());

            // As a user types it: the cluster of the project in this folder.
            var cut = ToolRaw(repo, "fault", "partition", "node3");
            Assert.AreEqual(0, cut.ExitCode, cut.ToString());
            StringAssert.Contains(cut.Output, "node3 cut off from node1, node2", cut.ToString());
            var status = Tool(repo, "status");
            StringAssert.Contains(status.Output, "fault: partition: node3 cut off from node1, node2", status.ToString());

            // Ganeti's verify finds node3 unreachable, and node1 and node2 fine but for their link to node3.
            var verify = Tool(repo, "verify");
            Assert.AreNotEqual(0, verify.ExitCode, verify.ToString());
            var errors = verify.Output.Split('\n').Where(l => l.Contains("ERROR:", StringComparison.Ordinal)).ToList();
            // (verify runs with Ganeti's --error-codes: ERROR:CODE:node:NAME:message)
            Assert.IsTrue(errors.Any(l => l.Contains("ERROR:ENODERPC:node:node3:", StringComparison.Ordinal)), verify.ToString());
            Assert.IsTrue(errors.Where(l => l.Contains(":node:node1:", StringComparison.Ordinal) || l.Contains(":node:node2:", StringComparison.Ordinal))
                .All(l => l.Contains("ENODENET", StringComparison.Ordinal) && l.Contains("with node 'node3'", StringComparison.Ordinal)), verify.ToString());
            StringAssert.Contains(verify.Output, $"Failed to connect to {Address("node3")} port 1811", verify.ToString());

            // An RPC to node3 gives up after Ganeti's own connect timeout; node1 still answers.
            var clock = Stopwatch.StartNew();
            var volumes = Tool(repo, "exec", "node1", "--", "gnt-node", "volumes", "node3");
            StringAssert.Contains(volumes.Output, $"Can't compute volume data on node node3", volumes.ToString());
            Assert.IsLessThan(TimeSpan.FromMinutes(3), clock.Elapsed, volumes.ToString());
            var reachable = Tool(repo, "exec", "node1", "--", "gnt-node", "volumes", "node2");
            Assert.AreEqual(0, reachable.ExitCode, reachable.ToString());
            Assert.DoesNotContain("Can't compute", reachable.Output, reachable.ToString());

            // Healed: Ganeti finds the cluster whole again (its nodes may need a moment to notice).
            var heal = ToolRaw(repo, "fault", "heal");
            Assert.AreEqual(0, heal.ExitCode, heal.ToString());
            Run clean = Tool(repo, "verify");
            for (var attempt = 1; clean.ExitCode != 0 && attempt < 6; attempt++)
            {
                Thread.Sleep(TimeSpan.FromSeconds(10));
                clean = Tool(repo, "verify");
            }
            Assert.AreEqual(0, clean.ExitCode, clean.ToString());
            Assert.DoesNotContain("fault:", Tool(repo, "status").Output);
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>
    /// Loss, rate and reset between node2 and node1, seen by a node's own connections: a TCP
    /// server on node1's address, a client on node2's. Loss of 50 % fails some of 40
    /// one-second connection attempts and not all; a rate of 512 kbit/s makes 512 KiB take
    /// seconds instead of milliseconds; a reset refuses new connections at once, and Ganeti's
    /// RPC to the node fails at once instead of timing out.
    /// </summary>
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void LossRateAndResetActOnTheNodesTraffic()
    {
        var repo = UpCluster(nodes: 2);
        try
        {
            var nodes = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, ".vcluster/cluster/vcluster.json")))!["nodes"]!.AsArray();
            var node1 = (string)nodes.Single(n => (string?)n!["name"] == "node1")!["address"]!;
            // A sink on node1: reads each connection to its end, then closes it.
            var server = Tool(repo, "exec", "node1", "--", "sh", "-c",
                "nohup python3 -c \"import socket, threading\n" +
                $"s = socket.create_server(('{node1}', 7777))\n" +
                "def sink(c):\n  while c.recv(65536):\n    pass\n  c.close()\n" +
                "while True:\n  threading.Thread(target=sink, args=(s.accept()[0],)).start()\n\" > /dev/null 2>&1 &");
            Assert.AreEqual(0, server.ExitCode, server.ToString());
            Run Client(string code) => Tool(repo, "exec", "node2", "--", "python3", "-c",
                $"import socket, time\ndef connect(timeout):\n  return socket.create_connection(('{node1}', 7777), timeout=timeout)\n{code}");
            const string Attempts = "ok = 0\nfor _ in range(40):\n  try:\n    connect(1).close(); ok += 1\n  except OSError:\n    pass\nprint(ok)";
            const string Send = "c = connect(60); t = time.monotonic(); c.sendall(b'x' * 524288); c.shutdown(socket.SHUT_WR); c.recv(1); print(round(time.monotonic() - t, 2))";
            var listening = Client("for _ in range(100):\n  try:\n    connect(1).close(); print('listening'); break\n  except OSError:\n    time.sleep(0.1)");
            Assert.AreEqual("listening", listening.Output.Trim(), listening.ToString());
            var before = Client(Attempts);
            Assert.AreEqual("40", before.Output.Trim(), before.ToString());

            Assert.AreEqual(0, ToolRaw(repo, "fault", "loss", "node2", "50").ExitCode);
            var lossy = Client(Attempts);
            Assert.AreEqual(0, lossy.ExitCode, lossy.ToString());
            var connected = int.Parse(lossy.Output.Trim());
            Assert.IsTrue(connected is > 0 and < 40, $"{connected} of 40 connected through 50 % loss");
            Assert.AreEqual(0, ToolRaw(repo, "fault", "heal").ExitCode);

            var fast = Client(Send);
            Assert.AreEqual(0, fast.ExitCode, fast.ToString());
            Assert.AreEqual(0, ToolRaw(repo, "fault", "rate", "node2", "512").ExitCode);
            var slow = Client(Send);
            Assert.AreEqual(0, slow.ExitCode, slow.ToString());
            Assert.IsLessThan(1.0, double.Parse(fast.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture), fast.ToString());
            Assert.IsGreaterThan(3.0, double.Parse(slow.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture), $"512 KiB at 512 kbit/s (64 KiB/s, after a 64-KiB burst): {slow.Output}");
            Assert.AreEqual(0, ToolRaw(repo, "fault", "heal", "node2").ExitCode);

            Assert.AreEqual(0, ToolRaw(repo, "fault", "reset", "node2").ExitCode);
            var refused = Client("t = time.monotonic()\ntry:\n  connect(10)\n  print('connected')\nexcept ConnectionRefusedError:\n  print('refused', round(time.monotonic() - t, 2))");
            StringAssert.StartsWith(refused.Output.Trim(), "refused", refused.ToString());
            var clock = Stopwatch.StartNew();
            var volumes = Tool(repo, "exec", "node1", "--", "gnt-node", "volumes", "node2");
            StringAssert.Contains(volumes.Output, "Can't compute volume data on node node2", volumes.ToString());
            StringAssert.Contains(volumes.Output, "Error 7: Failed to connect", volumes.ToString()); // curl: refused, not timed out (28)
            StringAssert.Contains(volumes.Output, "Couldn't connect to server", volumes.ToString());
            Assert.IsLessThan(TimeSpan.FromSeconds(20), clock.Elapsed, volumes.ToString());
            Assert.AreEqual(0, ToolRaw(repo, "fault", "heal").ExitCode);
            Assert.AreEqual("40", Client(Attempts).Output.Trim());
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>
    /// A node's clock ten minutes ahead: its processes, and only its, see it (libfaketime in
    /// the node's preload); Ganeti's verify reports the node's time as on hardware (ENODETIME,
    /// beyond its 150-s tolerance); after heal the node's daemons run with the true clock and
    /// verify is clean.
    /// </summary>
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void AClockSkewIsWhatVerifyReportsUntilHealed()
    {
        var repo = UpCluster(nodes: 3);
        try
        {
            long Clock(string node) => long.Parse(Tool(repo, "exec", node, "--", "date", "+%s").Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var skew = ToolRaw(repo, "fault", "skew", "node3", "600");
            Assert.AreEqual(0, skew.ExitCode, skew.ToString());
            StringAssert.Contains(skew.Output, "skew: node3's clock 600 s ahead", skew.ToString());
            StringAssert.Contains(Tool(repo, "status").Output, "fault: skew: node3's clock 600 s ahead");
            // node3's clock, read between two readings of node1's (each a process of the tool).
            void AssertAhead(long seconds)
            {
                var (before, node3, after) = (Clock("node1"), Clock("node3"), Clock("node1"));
                Assert.IsTrue(node3 - seconds >= before - 1 && node3 - seconds <= after + 1, $"node1 {before}..{after}, node3 {node3}: not {seconds} s ahead");
            }
            AssertAhead(600);

            var verify = Tool(repo, "verify");
            Assert.AreNotEqual(0, verify.ExitCode, verify.ToString());
            var errors = verify.Output.Split('\n').Where(l => l.Contains("ERROR:", StringComparison.Ordinal)).ToList();
            Assert.HasCount(1, errors, verify.ToString());
            StringAssert.Contains(errors[0], "ERROR:ENODETIME:node:node3:Node time diverges by at least", verify.ToString());

            var heal = ToolRaw(repo, "fault", "heal", "node3");
            Assert.AreEqual(0, heal.ExitCode, heal.ToString());
            AssertAhead(0);
            var clean = Tool(repo, "verify");
            Assert.AreEqual(0, clean.ExitCode, clean.ToString());
            Assert.DoesNotContain("fault:", Tool(repo, "status").Output);
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>
    /// A delay of 300 ms each way on node3's traffic (the tool's packet-delay program in the
    /// sandbox, as this kernel has no netem): a TCP connection from node1 to node3 takes at
    /// least its round trip, one to node2 does not wait; Ganeti's verify is still clean, only
    /// slower, as every RPC to node3 waits for three round trips at least (TCP, TLS, HTTP);
    /// after heal nothing waits.
    /// </summary>
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void ADelayedNodeStillVerifiesOnlySlower()
    {
        var repo = UpCluster(nodes: 3);
        try
        {
            var nodes = JsonNode.Parse(File.ReadAllText(Path.Combine(repo, ".vcluster/cluster/vcluster.json")))!["nodes"]!.AsArray();
            string Address(string name) => (string)nodes.Single(n => (string?)n!["name"] == name)!["address"]!;
            // The shortest of five connections from node1's address to a node's noded, in ms.
            double Connect(string node)
            {
                var run = Tool(repo, "exec", "node1", "--", "python3", "-c",
                    "import socket, time\nts = []\nfor _ in range(5):\n" +
                    $"  c = socket.socket(); c.bind(('{Address("node1")}', 0)); t = time.monotonic(); c.connect(('{Address(node)}', 1811))\n" +
                    "  ts.append((time.monotonic() - t) * 1000); c.close()\nprint(min(ts))");
                Assert.AreEqual(0, run.ExitCode, run.ToString());
                return double.Parse(run.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            TimeSpan Verify()
            {
                var clock = Stopwatch.StartNew();
                var verify = Tool(repo, "verify");
                Assert.AreEqual(0, verify.ExitCode, verify.ToString());
                Assert.DoesNotContain("ERROR:", verify.Output, verify.ToString());
                return clock.Elapsed;
            }

            var delay = ToolRaw(repo, "fault", "delay", "node3", "300");
            Assert.AreEqual(0, delay.ExitCode, delay.ToString());
            StringAssert.Contains(delay.Output, "delay 300 ms: between node3 and node1, node2", delay.ToString());
            StringAssert.Contains(Tool(repo, "status").Output, "fault: delay 300 ms: between node3 and node1, node2");

            // The SYN waits 300 ms, the SYN-ACK 300 ms back: never less than 600 ms.
            var delayed = Connect("node3");
            Assert.IsGreaterThanOrEqualTo(600.0, delayed, $"node1 -> node3 connected in {delayed} ms");
            Assert.IsLessThan(300.0, Connect("node2"), "node2's traffic is not delayed");
            var slow = Verify();
            Assert.IsGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.8), slow, "one RPC to node3 is three round trips at least");

            var heal = ToolRaw(repo, "fault", "heal");
            Assert.AreEqual(0, heal.ExitCode, heal.ToString());
            Assert.IsLessThan(300.0, Connect("node3"), "healed: nothing waits");
            var fast = Verify();
            Assert.IsLessThan(slow, fast, $"verify took {slow.TotalSeconds:F1} s with the delay, {fast.TotalSeconds:F1} s without");
            Assert.DoesNotContain("fault:", Tool(repo, "status").Output);
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>A cluster with Ganeti's own 5-s RPC connect timeout, so that RPCs to a cut node give up as soon as on machines.</summary>
    private static string UpCluster(int nodes) => UpRepository($"""
        <Project Sdk="VCluster.Sdk">
          <PropertyGroup>
            <VClusterNodeCount>{nodes}</VClusterNodeCount>
            <VClusterRpcConnectTimeout>5</VClusterRpcConnectTimeout>
          </PropertyGroup>
        </Project>
        """);
}
