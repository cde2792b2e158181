using System.Diagnostics;
using System.Globalization;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Engine.Planning;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>The preloaded library that raises Ganeti's RPC connect timeout for every node process.</summary>
[TestClass]
public sealed class RpcTimeDilationTests
{
    [TestMethod]
    public void TheTimeoutHasAFloorAndGrowsWithTheNodes()
    {
        var ganeti = GanetiInstallation.Discover("/", null);
        int For(string nodes, string? declared = null) => RpcTimeDilation.ConnectTimeout(
            ClusterPlanner.Plan(new ClusterSpec { Root = "/srv/vc", Network = "198.18.0.0/15", NodeCount = nodes, RpcConnectTimeout = declared }), ganeti);
        Assert.AreEqual(30, For("3"));
        Assert.AreEqual(30, For("120"));
        Assert.AreEqual(63, For("250"));
        Assert.AreEqual(100, For("400"));
        Assert.AreEqual(7, For("400", declared: "7"));
        SingleError(() => ClusterPlanner.Plan(new ClusterSpec { Root = "/srv/vc", RpcConnectTimeout = "0" }), VCluster.Engine.Diagnostics.ErrorCodes.InvalidCount);
    }

    [TestMethod]
    public void EveryNodeProcessPreloadsItWithTheClustersTimeout()
    {
        using var dir = new TempDir();
        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), RpcConnectTimeout = "42" }, Options(dir.Combine("cache")));
        var node = ClusterManifest.Load(result.ManifestPath).Nodes[1];
        Assert.AreEqual("42", node.Environment[RpcTimeDilation.Variable]);
        StringAssert.EndsWith(node.Environment["LD_PRELOAD"], " /mnt/.state/lib/libvcluster-node.so");
        Assert.IsTrue(File.Exists(Path.Combine(result.Plan.Root, ".state/lib/libvcluster-node.so")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(node.Root, "cmd")), "export VCLUSTER_RPC_CONNECT_TIMEOUT=\"42\"");
    }

    /// <summary>
    /// pycurl, as Ganeti's RPC client sets it up, against a listener that never answers the
    /// TLS handshake: the connection gives up after the dilated time, not after the one set.
    /// </summary>
    [TestMethod]
    public void ItRaisesTheConnectTimeoutCurlIsGiven()
    {
        var library = NativeParts.PathOf(NodePreload.LibraryName);
        Assert.IsTrue(File.Exists(library), library);
        Assert.IsGreaterThanOrEqualTo(5.5, HandshakeTimeout(library, dilated: 6));
        Assert.IsLessThan(5.5, HandshakeTimeout(library, dilated: null), "without the variable the library changes nothing");
    }

    private static double HandshakeTimeout(string library, int? dilated)
    {
        const string Client = """
            import pycurl, socket, time
            listener = socket.socket(); listener.bind(("10.9.9.9", 5555)); listener.listen(8)
            curl = pycurl.Curl()
            curl.setopt(pycurl.CONNECTTIMEOUT, 1)
            curl.setopt(pycurl.URL, "https://10.9.9.9:5555/")
            start = time.time()
            try:
                curl.perform()
            except pycurl.error as e:
                print("%.2f %d" % (time.time() - start, e.args[0]))
            """;
        // A network namespace of its own, where the address exists and nothing else listens.
        var start = new ProcessStartInfo("unshare", ["--user", "--map-root-user", "--net", "/bin/sh", "-c",
            "ip link set lo up && ip address add 10.9.9.9/32 dev lo && exec /usr/bin/python3 -c \"$0\"", Client])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LD_PRELOAD"] = library;
        if (dilated is { } seconds)
            start.Environment[RpcTimeDilation.Variable] = seconds.ToString(CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var fields = output.Result.Trim().Split(' ');
        Assert.HasCount(2, fields, output.Result + error);
        Assert.AreEqual("28", fields[1], "CURLE_OPERATION_TIMEDOUT");
        return double.Parse(fields[0], CultureInfo.InvariantCulture);
    }
}

[TestClass]
public sealed class RpcTimeDilationDocsTests
{
    [TestMethod]
    public void TheDefaultInWordsIsTheOneTheCodeUsesAndTheReadmeStatesIt()
    {
        var computed = $"{RpcTimeDilation.MinimumSeconds} s, or {RpcTimeDilation.SecondsPerNode.ToString(System.Globalization.CultureInfo.InvariantCulture)} s per node where more";
        Assert.AreEqual(RpcTimeDilation.DefaultInWords, computed);
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "../../../../../README.md"));
        StringAssert.Contains(readme, $"| `VClusterRpcConnectTimeout` | {RpcTimeDilation.DefaultInWords} |");
    }
}
