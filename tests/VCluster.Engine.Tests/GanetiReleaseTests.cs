using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Tests.Shared;

namespace VCluster.Engine.Tests;

/// <summary>
/// Another Debian release's root file system (VClusterGanetiRelease): made once with
/// mmdebstrap's arguments into the cache, swapped in whole, then found in the cache without
/// running anything; coded errors for a bad name and for a failed or missing mmdebstrap. A
/// stand-in mmdebstrap writes a small tar; the real one runs in the end-to-end GanetiReleaseTests.
/// </summary>
[TestClass]
public sealed class GanetiReleaseTests
{
    // Records its arguments, then writes what mmdebstrap writes: a tar of a root (its 7th argument).
    private const string StandIn = """
        #!/bin/sh
        echo "$@" >> "$(dirname "$0")/calls"
        tree=$(mktemp -d)
        mkdir -p "$tree/usr/bin" "$tree/usr/lib" "$tree/etc/ganeti"
        echo '#!/bin/sh' > "$tree/usr/bin/python3"
        echo 'VERSION_CODENAME=trixie' > "$tree/usr/lib/os-release"
        ln -s ../usr/lib/os-release "$tree/etc/os-release"
        ln -s /usr/share/ganeti/3.1 "$tree/etc/ganeti/share"
        echo "I: success"
        exec tar -C "$tree" -cf "$7" .
        """;

    private const string Failing = """
        #!/bin/sh
        echo "I: running apt-get update..."
        echo "E: Unable to locate package ganeti-os-noop"
        echo "E: apt-get --yes install failed"
        exit 1
        """;

    [TestMethod]
    public void TheRootIsMadeOnceWithMmdebstrapThenTakenFromTheCache()
    {
        using var dir = new TempDir();
        var tool = Script(dir, "mmdebstrap", StandIn);
        var made = GanetiRelease.Prepare("trixie", dir.Combine("cache"), _ => { }, CancellationToken.None, mmdebstrap: tool);
        Assert.IsTrue(made.Created);
        Assert.AreEqual(dir.Combine("cache/releases/trixie/root"), made.Root);
        Assert.IsTrue(GanetiInstallation.IsRootFileSystem(made.Root), "a whole system: its own Python, its os-release");
        Assert.AreEqual("/usr/share/ganeti/3.1", new FileInfo(Path.Combine(made.Root, "etc/ganeti/share")).LinkTarget, "links kept as they are");
        Assert.IsTrue(File.Exists(made.Stamp));
        Assert.IsFalse(File.Exists(dir.Combine("cache/releases/trixie/root.tar")), "the tar is not kept");
        var call = File.ReadAllLines(dir.Combine("calls")).Single();
        StringAssert.StartsWith(call, "--mode=unshare --variant=minbase --skip=output/dev --skip=output/mknod --include=ganeti,ganeti-os-noop,");
        StringAssert.EndsWith(call, " trixie " + dir.Combine("cache/releases/trixie/root.tar") + " " + GanetiRelease.DefaultMirror);

        var stampTime = File.GetLastWriteTimeUtc(made.Stamp);
        var again = GanetiRelease.Prepare("trixie", dir.Combine("cache"), _ => { }, CancellationToken.None, mmdebstrap: tool);
        Assert.IsFalse(again.Created);
        Assert.AreEqual(made.Root, again.Root);
        Assert.AreEqual(1, File.ReadAllLines(dir.Combine("calls")).Length, "the cached root is taken without running mmdebstrap");
        Assert.AreEqual(stampTime, File.GetLastWriteTimeUtc(again.Stamp));
    }

    [TestMethod]
    public void AFailedMmdebstrapIsAnErrorThatQuotesItsLogAndKeepsTheRootThereWas()
    {
        using var dir = new TempDir();
        var cache = dir.Combine("cache");
        var made = GanetiRelease.Prepare("trixie", cache, _ => { }, CancellationToken.None, mmdebstrap: Script(dir, "mmdebstrap", StandIn));
        File.Delete(made.Stamp); // as after an interrupted making: the next one makes it again

        var error = Errors(() => GanetiRelease.Prepare("trixie", cache, _ => { }, CancellationToken.None, mmdebstrap: Script(dir, "failing", Failing))).Single();
        Assert.AreEqual(ErrorCodes.GanetiReleaseFailed, error.Code);
        StringAssert.Contains(error.Message, "\"E: apt-get --yes install failed\"");
        StringAssert.Contains(error.Message, "failing exited with 1");
        Assert.AreEqual(Path.Combine(cache, "releases/trixie/mmdebstrap.log"), error.File);
        Assert.AreEqual(3, error.Line);
        Assert.IsTrue(File.Exists(Path.Combine(made.Root, "usr/bin/python3")), "the root made before is not lost");

        var missing = Errors(() => GanetiRelease.Prepare("trixie", cache, _ => { }, CancellationToken.None, mmdebstrap: dir.Combine("no-such-mmdebstrap"))).Single();
        Assert.AreEqual(ErrorCodes.GanetiReleaseFailed, missing.Code);
        StringAssert.Contains(missing.Message, "sudo apt-get install mmdebstrap uidmap");
    }

    [TestMethod]
    public void AReleaseNameThatIsNoneAndAReleaseBesideASourceTreeAreErrors()
    {
        using var dir = new TempDir();
        foreach (var name in new[] { "../etc", "Trixie", "t", "trixie;rm" })
            Assert.AreEqual(ErrorCodes.GanetiReleaseInvalid,
                Errors(() => GanetiRelease.Prepare(name, dir.Path, _ => { }, CancellationToken.None, mmdebstrap: "/bin/false")).Single().Code, name);
        var both = Errors(() => GanetiRelease.PrepareInCache("trixie", "/src/ganeti", dir.Path, _ => { }, CancellationToken.None)).Single();
        Assert.AreEqual(ErrorCodes.GanetiReleaseInvalid, both.Code);
        StringAssert.Contains(both.Message, "remove one of VClusterGanetiRelease and VClusterGanetiSource");
        Assert.IsFalse(Directory.Exists(dir.Combine("releases")), "nothing made");
    }

    [TestMethod]
    public void OnlyAWholeSystemBringsItsOwnUserland()
    {
        using var dir = new TempDir();
        Assert.IsFalse(GanetiInstallation.IsRootFileSystem("/"), "the machine's own");
        // What dpkg -x of Ganeti's packages gives: Ganeti's files, no Python of its own.
        Directory.CreateDirectory(dir.Combine("unpacked/usr/share/ganeti/3.0"));
        Assert.IsFalse(GanetiInstallation.IsRootFileSystem(dir.Combine("unpacked")));
        Directory.CreateDirectory(dir.Combine("system/usr/bin"));
        Directory.CreateDirectory(dir.Combine("system/etc"));
        File.WriteAllText(dir.Combine("system/usr/bin/python3"), "");
        File.WriteAllText(dir.Combine("system/etc/os-release"), "ID=debian\n");
        Assert.IsTrue(GanetiInstallation.IsRootFileSystem(dir.Combine("system")));
    }

    private static string Script(TempDir dir, string name, string text)
    {
        var path = dir.Combine(name);
        File.WriteAllText(path, text.Replace("\r", "") + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    private static IReadOnlyList<VClusterDiagnostic> Errors(Action action)
    {
        try
        {
            action();
        }
        catch (VClusterException e)
        {
            return e.Diagnostics;
        }
        Assert.Fail("no error");
        return [];
    }
}
