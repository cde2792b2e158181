using System.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>
/// bulk_join.py's first step, against the installed Ganeti, in a sandbox's view of a
/// generated cluster whose master has the cluster's crypto: each new node gets what
/// node-daemon-setup writes; and the second step's completion of a distribution wconfd missed.
/// (The second step itself needs a running wconfd: the end-to-end tests compare a whole bulk
/// join with one gnt-node add per node.)
/// </summary>
[TestClass]
public sealed class BulkJoinScriptTests
{
    [TestMethod]
    public void PrepareWritesWhatNodeDaemonSetupWritesIntoEachNodesTree()
    {
        using var dir = new TempDir();
        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), NodeCount = "3" }, Options(dir.Combine("cache")));
        var plan = result.Plan;
        var (master, node2) = (plan.Nodes[0], plan.Nodes[1]);
        var script = Path.Combine(plan.SandboxRoot, SandboxScripts.Folder, SandboxScripts.BulkJoin);
        Assert.IsTrue(File.Exists(Path.Combine(plan.Root, SandboxScripts.Folder, SandboxScripts.BulkJoin)), "generation writes the script into the cluster");

        // The master's state after gnt-cluster init, as far as node-daemon-setup reads it.
        RunAsNode(plan, master, "/usr/bin/python3", "-c", """
            from ganeti import bootstrap, ssconf
            bootstrap.GenerateClusterCrypto(True, True, True, True, True, True, "node1")
            ssconf.WriteSsconfFiles({"cluster_name": "cluster", "master_node": "node1"})
            """);
        var prepared = RunAsNode(plan, master, "/usr/bin/python3", script, "prepare", "node2", "node3");
        StringAssert.Contains(prepared, "prepared node2");
        StringAssert.Contains(prepared, "prepared node3");

        var data = Path.Combine(node2.Root, "var/lib/ganeti");
        var masterData = Path.Combine(master.Root, "var/lib/ganeti");
        Assert.AreEqual(File.ReadAllText(Path.Combine(masterData, "server.pem")), File.ReadAllText(Path.Combine(data, "server.pem")), "the cluster certificate");
        Assert.AreEqual(File.ReadAllText(Path.Combine(masterData, "hmac.key")), File.ReadAllText(Path.Combine(data, "hmac.key")));
        Assert.AreEqual("cluster\n", File.ReadAllText(Path.Combine(data, "ssconf_cluster_name")));
        Assert.AreEqual("node1\n", File.ReadAllText(Path.Combine(data, "ssconf_master_node")));
        foreach (var file in new[] { "server.pem", "hmac.key", "client.pem" })
            Assert.AreEqual((UnixFileMode)0b100_100_000, File.GetUnixFileMode(Path.Combine(data, file)), file); // NODED_CERT_MODE, x509's 0440
        Assert.AreEqual((UnixFileMode)0b100_100_100, File.GetUnixFileMode(Path.Combine(data, "ssconf_cluster_name")));

        // A client certificate of its own, for node2, signed by the cluster certificate.
        var client = Path.Combine(data, "client.pem");
        Assert.AreNotEqual(File.ReadAllText(Path.Combine(Path.Combine(plan.Nodes[2].Root, "var/lib/ganeti"), "client.pem")), File.ReadAllText(client));
        StringAssert.Contains(Run("openssl", "x509", "-noout", "-subject", "-in", client), "CN = node2");
        StringAssert.Contains(Run("openssl", "verify", "-CAfile", Path.Combine(masterData, "server.pem"), client), ": OK");

        // The version links gnt-node add's ssh command makes, naming the node's own installation.
        Assert.AreEqual(Path.Combine(node2.Prefix, "lib/ganeti/3.0"), new FileInfo(Path.Combine(node2.Root, "etc/ganeti/lib")).LinkTarget);
        Assert.AreEqual(Path.Combine(node2.Prefix, "share/ganeti/3.0"), new FileInfo(Path.Combine(node2.Root, "etc/ganeti/share")).LinkTarget);
        Assert.IsFalse(File.Exists(Path.Combine(masterData, "client.pem.new")));
    }

    /// <summary>
    /// The add step's wait, when wconfd's distribution missed nodes (at 250 nodes on two cores
    /// noded drops a share of every cluster-wide RPC): a node behind gets the master's ssconf and,
    /// if a candidate, its configuration, written as its noded writes them.
    /// </summary>
    [TestMethod]
    public void WaitForDistributionWritesWhatWconfdMissedAsTheNodeWould()
    {
        using var dir = new TempDir();
        var plan = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), NodeCount = "3" }, Options(dir.Combine("cache"))).Plan;
        var (master, node2, node3) = (plan.Nodes[0], plan.Nodes[1], plan.Nodes[2]);
        var scripts = Path.Combine(plan.SandboxRoot, SandboxScripts.Folder);

        // wconfd's distribution reached the master and node3, not node2 (a candidate).
        const string Values = """{"cluster_name": "cluster", "master_node": "node1", "node_list": "node1\nnode2\nnode3", "master_candidates": "node1\nnode2"}""";
        const string Write = "import json, sys\nfrom ganeti import ssconf, utils, pathutils\nssconf.WriteSsconfFiles(json.loads(sys.argv[1]))\n";
        RunAsNode(plan, master, "/usr/bin/python3", "-c", Write + "utils.WriteFile(pathutils.CLUSTER_CONF_FILE, data='{\"serial_no\": 7}', mode=0o640)", Values);
        RunAsNode(plan, node3, "/usr/bin/python3", "-c", Write, Values);
        RunAsNode(plan, node2, "/usr/bin/python3", "-c", Write, """{"cluster_name": "cluster", "master_node": "node1", "node_list": "node1"}""");

        var waited = RunAsNode(plan, master, "/usr/bin/python3", "-c",
            $"import sys; sys.path.insert(0, '{scripts}'); import bulk_join; bulk_join.WaitForDistribution(None, ['node2', 'node3'], timeout=60, settle=0)");

        StringAssert.Contains(waited, "missed 1 nodes' ssconf and 1 candidates' configuration");
        var (masterData, data) = (Path.Combine(master.Root, "var/lib/ganeti"), Path.Combine(node2.Root, "var/lib/ganeti"));
        foreach (var file in new[] { "ssconf_node_list", "ssconf_master_candidates", "ssconf_cluster_name", "ssconf_master_node" })
            Assert.AreEqual(File.ReadAllText(Path.Combine(masterData, file)), File.ReadAllText(Path.Combine(data, file)), file);
        Assert.AreEqual("{\"serial_no\": 7}", File.ReadAllText(Path.Combine(data, "config.data")));
        Assert.AreEqual(File.GetUnixFileMode(Path.Combine(masterData, "config.data")), File.GetUnixFileMode(Path.Combine(data, "config.data")));
        // An upload keeps the file's times, as floating-point seconds (so to the microsecond).
        var mtimes = File.GetLastWriteTimeUtc(Path.Combine(masterData, "config.data")) - File.GetLastWriteTimeUtc(Path.Combine(data, "config.data"));
        Assert.IsLessThan(TimeSpan.FromMicroseconds(1), mtimes.Duration(), "an upload keeps the file's times");
        Assert.IsFalse(File.Exists(Path.Combine(node3.Root, "var/lib/ganeti/config.data")), "node3 is no candidate and was current: nothing written");
    }

    private static string RunAsNode(ClusterPlan plan, NodePlan node, params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        // As the node's cmd wrapper sets it up (nss_wrapper makes every Ganeti user root).
        foreach (var (key, value) in ClusterManifest.Load(Path.Combine(plan.Root, ClusterManifest.FileName)).Node(node.Name).Environment)
            start.Environment[key] = value;
        start.Environment["PATH"] = $"{Path.Combine(node.Prefix, "sbin")}:/usr/sbin:/usr/bin:/sbin:/bin";
        using var process = StartInSandbox(plan, start);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"{string.Join(' ', command)}:\n{output.Result}\n{error}");
        return output.Result;
    }

    private static string Run(string file, params string[] args) => VCluster.Tests.Shared.TestProcess.Run(file, args).Output;
}
