using System.Diagnostics;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>
/// Nodes with several Ganeti versions installed side by side (VClusterGanetiAlsoInstall), as
/// Debian installs them: every node's prefix has each version's own folders, and its
/// unversioned entries go through the node's own /etc/ganeti links, which gnt-cluster upgrade
/// switches. The end-to-end test (UpgradeTests) has Ganeti itself switch a running cluster.
/// </summary>
[TestClass]
public sealed class GanetiVersionsTests
{
    [TestMethod]
    public void EveryNodeInstallsEachVersionAndRunsTheOneItsOwnLinksName()
    {
        using var dir = new TempDir();
        var other = FakeRelease(dir, "3.1");
        var result = ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), NodeCount = "2" },
            WithAlso(dir, other));
        var plan = result.Plan;
        var node = plan.Nodes[1];

        // Both versions, each with the node's own package, constants and daemon-util.
        foreach (var version in new[] { "3.0", "3.1" })
        {
            StringAssert.Contains(File.ReadAllText(HostPrefix(node, $"share/ganeti/{version}/ganeti/_constants.py")), $"VERSIONEDSHAREDIR = \"{node.Prefix}/share/ganeti/{version}\"");
            Assert.IsTrue(File.Exists(HostPrefix(node, $"share/ganeti/{version}/gnt-cluster")), version);
            StringAssert.Contains(File.ReadAllText(HostPrefix(node, $"lib/ganeti/{version}/usr/lib/ganeti/daemon-util")), $"readonly PKGLIBDIR={node.Prefix}/lib/ganeti");
        }
        StringAssert.Contains(File.ReadAllText(HostPrefix(node, "share/ganeti/3.1/ganeti/__init__.py")), $"__path__.append(\"{other}/usr/share/ganeti/3.1/ganeti\")");
        Assert.AreEqual(Path.Combine(other, "usr/lib/ganeti/3.1/usr/sbin"), Follow(plan, HostPrefix(node, "lib/ganeti/3.1/usr/sbin")));
        var installed = ClusterManifest.Load(result.ManifestPath).Ganeti.Installed!;
        CollectionAssert.AreEqual(new[] { "3.0.2", "3.1.0" }, installed.Select(v => v.Version).ToArray());
        Assert.AreEqual(Path.Combine(other, "usr/share/ganeti/3.1"), installed[1].ShareDir);
        Assert.IsNull(ManifestSchemaTests.Violations(result.ManifestPath));
        // It lies under /tmp, which the sandbox replaces with its own: bound back at its own path.
        var setup = File.ReadAllText(Path.Combine(plan.Root, ".state/sandbox/setup"));
        StringAssert.Contains(setup, $"mkdir -p \"{dir.Path}\"\nmount -n --bind ");

        // The unversioned entries follow the node's /etc/ganeti links, which start at the active version.
        var lib = Path.Combine(node.Root, "etc/ganeti/lib");
        Assert.AreEqual(Path.Combine(node.Prefix, "lib/ganeti/3.0"), new FileInfo(lib).LinkTarget);
        Assert.AreEqual(Path.Combine(node.SandboxRoot, "etc/ganeti/share/gnt-cluster"), new FileInfo(HostPrefix(node, "sbin/gnt-cluster")).LinkTarget);
        Assert.AreEqual(HostPrefix(node, "share/ganeti/3.0/gnt-cluster"), Follow(plan, HostPrefix(node, "sbin/gnt-cluster")));
        Assert.AreEqual("/usr/lib/ganeti/3.0/usr/sbin/ganeti-luxid", Follow(plan, HostPrefix(node, "sbin/ganeti-luxid")));
        // Debian's own unversioned paths in the node's /etc go through the same links.
        Assert.AreEqual(HostPrefix(node, "lib/ganeti/3.0"), Follow(plan, Path.Combine(node.Root, "etc-overlay/upper/ganeti/lib")));

        // Switched as Ganeti's step 5 does ("ln -s -f -T PKGLIBDIR/3.1 SYSCONFDIR/ganeti/lib"):
        // every unversioned entry leads to 3.1, and a later generation keeps Ganeti's choice.
        Relink(lib, Path.Combine(node.Prefix, "lib/ganeti/3.1"));
        Relink(Path.Combine(node.Root, "etc/ganeti/share"), Path.Combine(node.Prefix, "share/ganeti/3.1"));
        Assert.AreEqual(HostPrefix(node, "share/ganeti/3.1/gnt-cluster"), Follow(plan, HostPrefix(node, "sbin/gnt-cluster")));
        Assert.AreEqual(Path.Combine(other, "usr/lib/ganeti/3.1/usr/sbin/ganeti-luxid"), Follow(plan, HostPrefix(node, "sbin/ganeti-luxid")));
        Assert.AreEqual(HostPrefix(node, "lib/ganeti/3.1/usr/lib/ganeti/daemon-util"), Follow(plan, HostPrefix(node, "lib/ganeti/daemon-util")));
        ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), NodeCount = "2" }, WithAlso(dir, other));
        Assert.AreEqual(Path.Combine(node.Prefix, "lib/ganeti/3.1"), new FileInfo(lib).LinkTarget, "the node's version link is Ganeti's after generation");

        // Python in the node puts the prefix of the version it runs first: its user site follows the link.
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", "import sys; print([p for p in sys.path if '/prefix/share/' in p][0])"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONUSERBASE"] = Path.Combine(node.Prefix, "pyuser");
        using var python = StartInSandbox(plan, start);
        var share = python.StandardOutput.ReadToEnd().Trim();
        var error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.AreEqual(0, python.ExitCode, error);
        Assert.AreEqual(Path.Combine(node.Prefix, "share/ganeti/3.1"), share);
    }

    [TestMethod]
    public void AVersionNamedTwiceIsAnError()
    {
        using var dir = new TempDir();
        var error = Assert.ThrowsExactly<VClusterException>(() => ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c") },
            WithAlso(dir, FakeRelease(dir, "3.0"))));
        Assert.AreEqual(ErrorCodes.GanetiVersionsInvalid, error.Diagnostics[0].Code);
        StringAssert.Contains(error.Diagnostics[0].Message, "Ganeti 3.0 is named more than once");
        Assert.IsFalse(Directory.Exists(dir.Combine("c/nodes")), "nothing is written");
    }

    private static GenerationOptions WithAlso(TempDir dir, string other) => new()
    {
        TemplatesDirectory = TemplatesDirectory,
        CacheDirectory = dir.Combine("cache"),
        AlsoInstall = [other],
    };

    private static void Relink(string link, string target)
    {
        File.Delete(link);
        File.CreateSymbolicLink(link, target);
    }

    /// <summary>
    /// Debian's Ganeti 3.0 unpacked as if it were another version (its folders and version
    /// constants renamed): what a second installed version looks like to generation.
    /// </summary>
    private static string FakeRelease(TempDir dir, string version)
    {
        var root = dir.Combine("release-" + version);
        Directory.CreateDirectory(Path.Combine(root, "usr/share/ganeti"));
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/ganeti"));
        Copy("/usr/share/ganeti/3.0", Path.Combine(root, "usr/share/ganeti", version));
        Copy("/usr/lib/ganeti/3.0", Path.Combine(root, "usr/lib/ganeti", version));
        Directory.CreateDirectory(Path.Combine(root, "usr/sbin"));
        foreach (var link in Directory.GetFiles("/usr/sbin", "gnt-*").Concat(Directory.GetFiles("/usr/sbin", "ganeti-*")))
            File.CreateSymbolicLink(Path.Combine(root, "usr/sbin", Path.GetFileName(link)), new FileInfo(link).LinkTarget!);
        var constants = Path.Combine(root, "usr/share/ganeti", version, "ganeti/_constants.py");
        var minor = version.Split('.')[1];
        File.WriteAllText(constants, File.ReadAllText(constants)
            .Replace("VERSION_MINOR = 0", $"VERSION_MINOR = {minor}", StringComparison.Ordinal)
            .Replace("VERSION_REVISION = 2", version == "3.0" ? "VERSION_REVISION = 2" : "VERSION_REVISION = 0", StringComparison.Ordinal)
            .Replace("DIR_VERSION = \"3.0\"", $"DIR_VERSION = \"{version}\"", StringComparison.Ordinal));
        return root;

        static void Copy(string from, string to)
        {
            using var copy = Process.Start("cp", ["-a", from, to]);
            copy.WaitForExit();
            Assert.AreEqual(0, copy.ExitCode);
        }
    }
}
