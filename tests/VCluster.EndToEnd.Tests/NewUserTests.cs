using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// What a new user meets first: the README's first command, run from a fresh clone in Debian's
/// default environment for an ordinary user (no /usr/sbin on PATH, a home of mode 0700 that
/// holds nothing yet, not even a NuGet cache), and a service of the sandbox that fails.
/// </summary>
[TestClass]
public sealed class NewUserTests
{
    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void TheReadmesFirstCommandBringsUpTheDefaultClusterFromAFreshClone()
    {
        var command = ReadmeCommands()[0];
        Assert.AreEqual("./eng/setup.sh && dotnet build samples/default-cluster -t:VClusterUp", command,
            "the README's first command changed: this test runs it as it is, check that it still means the same");

        // A fresh clone in a fresh home (the committed tree: what a user clones).
        var home = Path.Combine(WorkDirectory, $"newhome{Guid.NewGuid():N}"[..12]);
        var clone = Path.Combine(home, "vc");
        Directory.CreateDirectory(home);
        var cloned = Host("/", ["git", "clone", "-q", "--no-hardlinks", RepositoryRoot, clone]);
        Assert.AreEqual(0, cloned.ExitCode, cloned.ToString());
        if (IsRoot)
            Assert.AreEqual(0, Host("/", ["chown", "-R", $"{Name}:{Name}", home]).ExitCode);
        File.SetUnixFileMode(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Its own home and package cache: nothing restored before, as on a fresh machine.
        var fresh = new Dictionary<string, string> { ["HOME"] = home, ["NUGET_PACKAGES"] = Path.Combine(home, ".nuget/packages") };
        var manifest = Path.Combine(clone, "samples/default-cluster/.vcluster/cluster/vcluster.json");
        string? tool = null;
        Run InClone(params string[] args) => As(clone, ["dotnet", "exec", tool!, args[0], "--manifest", manifest, .. args[1..]], environment: fresh);
        try
        {
            var run = As(clone, ["/bin/bash", "-c", command], TimeSpan.FromMinutes(25), fresh);
            Assert.AreEqual(0, run.ExitCode, run.ToString());
            StringAssert.Contains(run.Output, "cluster 'cluster' is up: 3 nodes", run.ToString());

            tool = Directory.GetFiles(Path.Combine(home, ".nuget/packages/vcluster.sdk"), "dotnet-vcluster.dll", SearchOption.AllDirectories).Single();
            var status = InClone("status");
            Assert.AreEqual(0, status.ExitCode, status.ToString());
            StringAssert.StartsWith(status.Output, "cluster cluster: up", status.ToString());
            // Ganeti resolves the cluster's names through the sandbox's name server.
            var nodes = InClone("exec", "node1", "--", "gnt-node", "list", "--no-headers", "-o", "name");
            Assert.AreEqual("node1\nnode2\nnode3", nodes.Output.Trim(), nodes.ToString());
            var sandbox = SandboxUserNamespace(InClone("status", "--json"));
            var down = InClone("down");
            Assert.AreEqual(0, down.ExitCode, down.ToString());
            Assert.AreEqual("", ClusterProcesses(Path.GetDirectoryName(manifest)!, sandbox), "processes left running after down");
        }
        finally
        {
            if (tool is not null)
                InClone("down");
            DeleteTree(home);
        }
    }

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void AServiceOfTheSandboxThatFailsStopsUpWithItsLog()
    {
        // In the user's home: a folder on PATH must be one the sandbox sees (it has its own /tmp).
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterNodeCount>1</VClusterNodeCount></PropertyGroup>
            </Project>
            """, inUsersHome: true);
        var generate = As(repo, ["dotnet", "build", "-t:VClusterGenerate", "-nodeReuse:false"]);
        Assert.AreEqual(0, generate.ExitCode, generate.ToString());

        // A name server that cannot start, first on the user's PATH: it says why and exits.
        var bin = Path.Combine(repo, "broken-bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "dnsmasq"), "#!/bin/sh\necho 'dnsmasq: failed to create listening socket for 127.0.0.53: Address already in use' >&2\nexit 2\n");
        File.SetUnixFileMode(Path.Combine(bin, "dnsmasq"), (UnixFileMode)0b111_101_101);
        if (IsRoot)
            Host("/", ["chown", "-R", $"{Name}:{Name}", bin]);
        var broken = new Dictionary<string, string> { ["PATH"] = $"{bin}:{UserPath}" };
        var manifest = Path.Combine(repo, ".vcluster/cluster/vcluster.json");
        try
        {
            var up = As(repo, ["dotnet", "exec", ToolDll, "up", "--manifest", manifest], environment: broken);
            Assert.AreNotEqual(0, up.ExitCode, up.ToString());
            var log = Path.Combine(repo, ".vcluster/cluster/.state/run/name-server.log");
            StringAssert.Contains(up.Output,
                $"error VCS0033: the sandbox's name server (dnsmasq) exited at start; its log, {log}, ends: dnsmasq: failed to create listening socket for 127.0.0.53: Address already in use",
                up.ToString());
            // It stopped there: Ganeti was never asked to initialise a cluster without names.
            Assert.DoesNotContain("gnt-cluster init", up.Output, up.ToString());
            StringAssert.Contains(Tool(repo, "status").Output, "partly up");

            // The cause gone, the next up completes the cluster.
            var again = Tool(repo, "up");
            Assert.AreEqual(0, again.ExitCode, again.ToString());
            StringAssert.Contains(again.Output, "cluster 'cluster' is up: 1 nodes", again.ToString());
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>The commands of the README's first code block, without their comments.</summary>
    private static List<string> ReadmeCommands()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot, "README.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("```", StringComparison.Ordinal));
        return lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("```", StringComparison.Ordinal))
            .Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).ToList();
    }
}
