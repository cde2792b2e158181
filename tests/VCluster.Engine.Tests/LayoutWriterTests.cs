using System.Text;
using VCluster.Engine.Layout;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

[TestClass]
public sealed class LayoutWriterTests
{
    private static LayoutEntry FileEntry(string path, string text, int mode = 0b110_100_100) =>
        LayoutEntry.File(path, Encoding.UTF8.GetBytes(text), mode);

    private static Dictionary<string, DateTime> Snapshot(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .ToDictionary(p => p, p => File.GetLastWriteTimeUtc(p));

    [TestMethod]
    public void SecondWriteWithNothingChangedTouchesNothing()
    {
        using var dir = new TempDir();
        LayoutEntry[] entries =
        [
            LayoutEntry.Directory("nodes/a/var/lib/ganeti", 0b111_101_101),
            FileEntry("nodes/a/etc/default/ganeti", "X=1\n"),
            LayoutEntry.Symlink("nodes/a/sbin/tool", "/bin/true"),
            LayoutEntry.Seed("nodes/a/dev/console", 0b110_000_000),
        ];
        var first = LayoutWriter.Write(dir.Path, entries);
        Assert.AreEqual(0, first.Unchanged);
        var before = Snapshot(dir.Path);
        VCluster.Tests.Shared.FileClock.WaitPastEverythingIn(dir.Path);

        var second = LayoutWriter.Write(dir.Path, entries);

        Assert.AreEqual(0, second.Written);
        CollectionAssert.AreEquivalent(before.ToList(), Snapshot(dir.Path).ToList());
        Assert.AreEqual("/bin/true", new FileInfo(dir.Combine("nodes/a/sbin/tool")).LinkTarget);
        Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.Combine("nodes/a/dev/console")));
    }

    [TestMethod]
    public void OnlyChangedFilesAreRewrittenAndModesFollowTheEntry()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path, [FileEntry("a", "1"), FileEntry("b", "1")]);
        var bBefore = File.GetLastWriteTimeUtc(dir.Combine("b"));
        VCluster.Tests.Shared.FileClock.WaitPastEverythingIn(dir.Path);

        var result = LayoutWriter.Write(dir.Path, [FileEntry("a", "2", 0b111_101_101), FileEntry("b", "1")]);

        Assert.AreEqual(1, result.Written);
        Assert.AreEqual("2", File.ReadAllText(dir.Combine("a")));
        Assert.AreEqual((UnixFileMode)0b111_101_101, File.GetUnixFileMode(dir.Combine("a")));
        Assert.AreEqual(bBefore, File.GetLastWriteTimeUtc(dir.Combine("b")));
    }

    [TestMethod]
    public void AFileChangedByHandIsRestored()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path, [FileEntry("a", "generated")]);
        File.WriteAllText(dir.Combine("a"), "edited!!!");

        var result = LayoutWriter.Write(dir.Path, [FileEntry("a", "generated")]);

        Assert.AreEqual(1, result.Written);
        Assert.AreEqual("generated", File.ReadAllText(dir.Combine("a")));
    }

    [TestMethod]
    public void RemovedEntriesArePrunedButRunTimeStateStays()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path,
        [
            LayoutEntry.Directory("nodes/gone/var/lib/ganeti", 0b111_101_101),
            FileEntry("nodes/gone/cmd", "#!/bin/sh\n"),
            FileEntry("nodes/gone/prefix/x", "x"),
            FileEntry("nodes/kept/cmd", "#!/bin/sh\n"),
        ]);
        // What Ganeti writes at run time is never in the generation record.
        File.WriteAllText(dir.Combine("nodes/gone/var/lib/ganeti/config.data"), "{}");

        var result = LayoutWriter.Write(dir.Path, [FileEntry("nodes/kept/cmd", "#!/bin/sh\n")]);

        Assert.IsFalse(File.Exists(dir.Combine("nodes/gone/cmd")));
        Assert.IsFalse(Directory.Exists(dir.Combine("nodes/gone/prefix")));
        Assert.AreEqual("{}", File.ReadAllText(dir.Combine("nodes/gone/var/lib/ganeti/config.data")));
        Assert.IsTrue(File.Exists(dir.Combine("nodes/kept/cmd")));
        Assert.IsGreaterThanOrEqualTo(2, result.Pruned);
    }

    [TestMethod]
    public void ReplacingAFileLeavesNoTemporaryBehind()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path, [FileEntry("d/a", "old"), LayoutEntry.Symlink("d/l", "/bin/true")]);
        LayoutWriter.Write(dir.Path, [FileEntry("d/a", "new"), LayoutEntry.Symlink("d/l", "/bin/false")]);

        CollectionAssert.AreEquivalent(new[] { "a", "l" }, Directory.GetFileSystemEntries(dir.Combine("d")).Select(Path.GetFileName).ToArray());
        Assert.AreEqual("/bin/false", new FileInfo(dir.Combine("d/l")).LinkTarget);
    }

    [TestMethod]
    public void CancelledWriteLeavesEachFileOldOrNewAndTheNextWriteCompletes()
    {
        using var dir = new TempDir();
        var old = Enumerable.Range(0, 200).Select(i => FileEntry($"nodes/n{i}/f", "old")).ToArray();
        LayoutWriter.Write(dir.Path, old);
        var updated = Enumerable.Range(0, 200).Select(i => FileEntry($"nodes/n{i}/f", "new")).ToArray();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.ThrowsExactly<OperationCanceledException>(() => LayoutWriter.Write(dir.Path, updated, cancel.Token));
        Assert.IsTrue(Enumerable.Range(0, 200).All(i => File.ReadAllText(dir.Combine($"nodes/n{i}/f")) is "old" or "new"));

        LayoutWriter.Write(dir.Path, updated);
        Assert.IsTrue(Enumerable.Range(0, 200).All(i => File.ReadAllText(dir.Combine($"nodes/n{i}/f")) == "new"));
    }

    [TestMethod]
    public void ANewNodeTreeLeftByAFailedWriteIsPrunedByTheNext()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path, [FileEntry("nodes/old/cmd", "x")]);
        // "nodes/new/x" is a file, so "nodes/new/x/y" fails after the rest of the tree is written.
        Assert.ThrowsExactly<Diagnostics.VClusterException>(() => LayoutWriter.Write(dir.Path,
        [
            FileEntry("nodes/old/cmd", "x"),
            LayoutEntry.Directory("nodes/new/var/lib/ganeti", 0b111_101_101),
            LayoutEntry.Symlink("nodes/new/prefix/lib", "/usr/lib"),
            FileEntry("nodes/new/x", "file"),
            FileEntry("nodes/new/x/y", "under a file"),
        ]));
        Assert.IsTrue(Directory.Exists(dir.Combine("nodes/new/var/lib/ganeti")));

        var result = LayoutWriter.Write(dir.Path, [FileEntry("nodes/old/cmd", "x")]);

        Assert.IsFalse(Path.Exists(dir.Combine("nodes/new")), "the whole new tree is pruned");
        Assert.IsTrue(Directory.Exists("/usr/lib"), "links are removed, never followed");
        Assert.IsGreaterThanOrEqualTo(5, result.Pruned);
        Assert.IsFalse(File.Exists(dir.Combine(LayoutWriter.JournalPath)));
    }

    [TestMethod]
    public void ANodeTreeDeletedByHandAndLeftHalfWrittenKeepsWhatGanetiWritesInIt()
    {
        using var dir = new TempDir();
        LayoutEntry[] node =
        [
            LayoutEntry.Directory("nodes/b/var/lib/ganeti", 0b111_101_101),
            FileEntry("nodes/b/cmd", "#!/bin/sh\n"),
        ];
        LayoutWriter.Write(dir.Path, node);
        Directory.Delete(dir.Combine("nodes/b"), recursive: true);
        // Recreating it fails half-way; the manifest of the completed generation still names b.
        Assert.ThrowsExactly<Diagnostics.VClusterException>(() => LayoutWriter.Write(dir.Path,
            [.. node, FileEntry("nodes/b/x", "file"), FileEntry("nodes/b/x/y", "under a file")]));
        // Meanwhile the cluster runs, and Ganeti writes the node's state.
        File.WriteAllText(dir.Combine("nodes/b/var/lib/ganeti/config.data"), "{}");

        LayoutWriter.Write(dir.Path, node);
        LayoutWriter.Write(dir.Path, [FileEntry("nodes/a/cmd", "#!/bin/sh\n")]);

        Assert.AreEqual("{}", File.ReadAllText(dir.Combine("nodes/b/var/lib/ganeti/config.data")));
        Assert.IsFalse(File.Exists(dir.Combine("nodes/b/cmd")));
    }

    [TestMethod]
    public void TheLastEntryIsRecordedAndPutInPlaceAfterTheJournalIsGone()
    {
        using var dir = new TempDir();
        var manifest = FileEntry("vcluster.json", "{\"nodes\": [\"a\"]}");

        var first = LayoutWriter.Write(dir.Path, [FileEntry("nodes/a/cmd", "x")], last: manifest);
        var second = LayoutWriter.Write(dir.Path, [FileEntry("nodes/a/cmd", "x")], last: manifest);
        var changed = LayoutWriter.Write(dir.Path, [FileEntry("nodes/a/cmd", "x")], last: FileEntry("vcluster.json", "{}"));

        Assert.AreEqual(0, first.Unchanged, "nothing existed before");
        Assert.AreEqual(0, second.Written);
        Assert.AreEqual(1, changed.Written);
        Assert.AreEqual("{}", File.ReadAllText(dir.Combine("vcluster.json")));
        Assert.IsFalse(File.Exists(dir.Combine(LayoutWriter.JournalPath)));
        CollectionAssert.Contains(LayoutWriter.GeneratedPaths(dir.Path).ToList(), "vcluster.json");
        Assert.AreEqual(0, LayoutWriter.Write(dir.Path, [FileEntry("nodes/a/cmd", "x")], last: FileEntry("vcluster.json", "{}")).Written);
    }

    [TestMethod]
    public void UnwritableRootIsReported()
    {
        using var dir = new TempDir();
        var file = dir.Combine("plain-file");
        File.WriteAllText(file, "");
        var e = Assert.ThrowsExactly<Diagnostics.VClusterException>(() => LayoutWriter.Write(Path.Combine(file, "root"), [FileEntry("a", "1")]));
        Assert.AreEqual(Diagnostics.ErrorCodes.UnwritableRoot, e.Diagnostics.Single().Code);
    }

    private static LayoutEntry Copy(string path, string text, string sameAs, int mode = 0b111_101_101) =>
        LayoutEntry.File(path, Encoding.UTF8.GetBytes(text), mode, sameAs);

    [TestMethod]
    public void CopiesOfOneFileAreHardLinksOfIt()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path,
        [
            FileEntry("shared/tool", "#!/usr/bin/python3\n", 0b111_101_101),
            Copy("nodes/a/sbin/tool", "#!/usr/bin/python3\n", "shared/tool"),
            Copy("nodes/b/sbin/tool", "#!/usr/bin/python3\n", "shared/tool"),
        ]);

        var source = Inode(dir.Combine("shared/tool"));
        Assert.AreEqual(source, Inode(dir.Combine("nodes/a/sbin/tool")));
        Assert.AreEqual(source, Inode(dir.Combine("nodes/b/sbin/tool")));
        Assert.AreEqual((UnixFileMode)0b111_101_101, File.GetUnixFileMode(dir.Combine("nodes/b/sbin/tool")));
    }

    [TestMethod]
    public void ACopyWhoseSourceChangedIsLinkedToTheNewSource()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path, [FileEntry("shared/tool", "v1", 0b111_101_101), Copy("nodes/a/tool", "v1", "shared/tool")]);

        var result = LayoutWriter.Write(dir.Path, [FileEntry("shared/tool", "v2", 0b111_101_101), Copy("nodes/a/tool", "v2", "shared/tool")]);

        Assert.AreEqual(2, result.Written);
        Assert.AreEqual("v2", File.ReadAllText(dir.Combine("nodes/a/tool")));
        Assert.AreEqual(Inode(dir.Combine("shared/tool")), Inode(dir.Combine("nodes/a/tool")));
        Assert.AreEqual(0, LayoutWriter.Write(dir.Path, [FileEntry("shared/tool", "v2", 0b111_101_101), Copy("nodes/a/tool", "v2", "shared/tool")]).Written);
    }

    [TestMethod]
    public void ACopyThatDiffersFromItsNamedSourceIsWrittenOnItsOwn()
    {
        using var dir = new TempDir();
        LayoutWriter.Write(dir.Path,
        [
            FileEntry("shared/tool", "one", 0b111_101_101),
            Copy("nodes/a/tool", "two", "shared/tool"),
            Copy("nodes/a/mode", "one", "shared/tool", mode: 0b110_100_100),
        ]);

        Assert.AreEqual("two", File.ReadAllText(dir.Combine("nodes/a/tool")));
        Assert.AreNotEqual(Inode(dir.Combine("shared/tool")), Inode(dir.Combine("nodes/a/tool")));
        Assert.AreNotEqual(Inode(dir.Combine("shared/tool")), Inode(dir.Combine("nodes/a/mode")));
        Assert.AreEqual((UnixFileMode)0b110_100_100, File.GetUnixFileMode(dir.Combine("nodes/a/mode")));
    }
}
