using System.Collections.Concurrent;
using System.Text;
using VCluster.Engine.Diagnostics;

namespace VCluster.Engine.Layout;

public sealed record LayoutWriteResult(int Written, int Unchanged, int Pruned);

/// <summary>
/// Puts a list of <see cref="LayoutEntry"/> on disk under a cluster root, touching only what
/// differs, and prunes what an earlier generation wrote that is no longer wanted. It knows what
/// it wrote from its generation record, so state Ganeti writes at run time (config.data,
/// certificates, the job queue, logs, instance files) is never overwritten or deleted: those
/// paths are never in the record.
/// </summary>
public static class LayoutWriter
{
    public const string RecordPath = ".state/generated";
    public const string JournalPath = ".state/generated.journal";

    private static readonly bool Trace = Environment.GetEnvironmentVariable("VCLUSTER_TRACE") == "1";

    private static void TraceStep(System.Diagnostics.Stopwatch clock, string step)
    {
        if (Trace)
            Console.Error.WriteLine($"trace:   writer {step} {clock.ElapsedMilliseconds} ms");
    }

    public static LayoutWriteResult Write(string root, IReadOnlyList<LayoutEntry> entries, CancellationToken cancellation = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        EnsureWritableRoot(root);
        var recordFile = Path.Combine(root, RecordPath);
        var previous = ReadRecord(recordFile);
        var wanted = new Dictionary<string, LayoutEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
            wanted[entry.RelativePath] = entry;
        // Every parent folder is part of the layout, declared or not.
        foreach (var entry in entries)
        {
            for (var parent = Path.GetDirectoryName(entry.RelativePath); !string.IsNullOrEmpty(parent) && !wanted.ContainsKey(parent); parent = Path.GetDirectoryName(parent))
                wanted[parent] = LayoutEntry.Directory(parent, 0b111_101_101);
        }

        // Until this generation completes, a journal beside the record names the paths it is
        // about to create, so that an interrupted build can still prune what it wrote.
        var journal = Path.Combine(root, JournalPath);
        previous = ReadRecord(journal, previous);
        var added = wanted.Keys.Where(p => !previous.ContainsKey(p)).ToList();
        if (added.Count > 0)
            WriteJournal(journal, added);
        TraceStep(clock, "journal");

        // Each node's tree is independent of the others: write them side by side, each
        // parents first. Errors are collected so that all of them are reported at once.
        var written = 0;
        var errors = new ConcurrentBag<VClusterDiagnostic>();
        var record = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var partitions = wanted.Values.GroupBy(PartitionOf).ToList();
        void WritePartition(IGrouping<string, LayoutEntry> partition)
        {
            var count = 0;
            // A node tree that does not exist yet has nothing to compare with or replace.
            var fresh = partition.Key.Length > 0 && !Path.Exists(Path.Combine(root, partition.Key));
            foreach (var entry in partition.OrderBy(e => e.Kind == LayoutEntryKind.Directory ? Depth(e.RelativePath) : int.MaxValue))
            {
                cancellation.ThrowIfCancellationRequested();
                var path = Path.Combine(root, entry.RelativePath);
                try
                {
                    if (fresh)
                    {
                        Create(path, entry);
                        count++;
                    }
                    else if (entry.Kind == LayoutEntryKind.Directory)
                    {
                        if (EnsureDirectory(path, entry.Mode))
                            count++;
                    }
                    else
                    {
                        previous.TryGetValue(entry.RelativePath, out var recorded);
                        switch (Compare(path, entry, recorded))
                        {
                            case DiskState.Missing:
                                Create(path, entry);
                                count++;
                                break;
                            case DiskState.Different:
                                Apply(path, entry);
                                count++;
                                break;
                        }
                    }
                    record[entry.RelativePath] = RecordValue(path, entry);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add(new VClusterDiagnostic(ErrorCodes.WriteFailed, $"cannot write '{path}': {e.Message}"));
                }
            }
            Interlocked.Add(ref written, count);
        }

        // The cluster's own entries (among them the "nodes" folder) first, then the nodes.
        foreach (var partition in partitions.Where(p => p.Key.Length == 0))
            WritePartition(partition);
        Parallel.ForEach(partitions.Where(p => p.Key.Length > 0), new ParallelOptions { CancellationToken = cancellation }, WritePartition);
        if (!errors.IsEmpty)
            throw new VClusterException(errors.OrderBy(e => e.Message, StringComparer.Ordinal).Take(20).ToList());
        var unchanged = wanted.Count - written;
        TraceStep(clock, "entries");

        var pruned = Prune(root, previous.Keys.Where(p => !wanted.ContainsKey(p)), wanted.Keys.ToHashSet(StringComparer.Ordinal), cancellation);

        TraceStep(clock, "prune");
        var final = new Dictionary<string, string>(record, StringComparer.Ordinal);
        if (!RecordEquals(final, previous) || added.Count > 0)
            WriteRecord(recordFile, final);
        if (File.Exists(journal))
            File.Delete(journal);
        return new LayoutWriteResult(written, unchanged, pruned);
    }

    /// <summary>Deletes every path the last generation wrote (for VClusterClean); run-time state stays.</summary>
    public static int Clean(string root)
    {
        var recordFile = Path.Combine(root, RecordPath);
        var previous = ReadRecord(recordFile);
        var pruned = Prune(root, previous.Keys, new HashSet<string>(), CancellationToken.None);
        if (File.Exists(recordFile))
            File.Delete(recordFile);
        return pruned;
    }

    private static void EnsureWritableRoot(string root)
    {
        try
        {
            Directory.CreateDirectory(Path.Combine(root, ".state"));
            // Opening the record for writing proves the root writable without changing anything.
            using (File.Open(Path.Combine(root, RecordPath), FileMode.OpenOrCreate, FileAccess.ReadWrite))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.UnwritableRoot,
                $"cluster root '{root}' is not writable: {e.Message}"));
        }
    }

    /// <summary>"nodes/NAME" for a node's entries, "" for the cluster's own.</summary>
    private static string PartitionOf(LayoutEntry entry)
    {
        var path = entry.RelativePath;
        if (!path.StartsWith("nodes/", StringComparison.Ordinal))
            return "";
        var end = path.IndexOf('/', "nodes/".Length);
        return end < 0 ? path : path[..end];
    }

    private static int Depth(string path) => path.AsSpan().Count('/');

    // Bits the process umask clears from a create mode; when a mode has none of them, the
    // create call alone gives the right mode and the chmod can be skipped.
    private static readonly UnixFileMode UmaskBits = ReadUmask();

    private static UnixFileMode ReadUmask()
    {
        var probe = Path.Combine(Path.GetTempPath(), $".vcluster-umask-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0b111_111_111 }))
            {
            }
            return (UnixFileMode)0b111_111_111 & ~File.GetUnixFileMode(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (UnixFileMode)0b111_111_111; // unknown: always chmod
        }
        finally
        {
            try
            {
                File.Delete(probe);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static bool NeedsChmod(UnixFileMode mode) => (mode & UmaskBits) != 0 || (int)mode > 0b111_111_111;

    private static bool EnsureDirectory(string path, UnixFileMode mode)
    {
        var info = new DirectoryInfo(path);
        if (info.Exists && info.LinkTarget is null)
        {
            if (info.UnixFileMode == mode)
                return false;
            File.SetUnixFileMode(path, mode);
            return true;
        }
        if (info.LinkTarget is not null || File.Exists(path))
            File.Delete(path);
        Directory.CreateDirectory(path, mode);
        if (NeedsChmod(mode))
            File.SetUnixFileMode(path, mode);
        return true;
    }

    private enum DiskState
    {
        Current,
        Missing,
        Different,
    }

    /// <summary>
    /// A generated file is recorded with its content hash and modification time: when both
    /// still match, the file is ours as written and need not be read again (git's index does
    /// the same); a file edited by hand has another time and is compared and restored.
    /// </summary>
    private static string RecordValue(string path, LayoutEntry entry) =>
        entry.Kind == LayoutEntryKind.File ? $"{entry.Fingerprint} {File.GetLastWriteTimeUtc(path).Ticks}" : entry.Fingerprint;

    private static DiskState Compare(string path, LayoutEntry entry, string? recorded)
    {
        var info = new FileInfo(path);
        var fingerprintKnown = recorded is not null && entry.Kind == LayoutEntryKind.File
            && recorded == $"{entry.Fingerprint} {info.LastWriteTimeUtc.Ticks}";
        if (!info.Exists && info.LinkTarget is null && !System.IO.Directory.Exists(path))
            return DiskState.Missing;
        var current = entry.Kind switch
        {
            LayoutEntryKind.Seed => true,
            LayoutEntryKind.Symlink => info.LinkTarget == entry.LinkTarget,
            // Same length and mode, and the record says we wrote exactly this: trust it, as git
            // trusts its index, rather than read every file again.
            _ => info.Exists && info.LinkTarget is null && info.Length == entry.Content!.Length
                 && (info.UnixFileMode & (UnixFileMode)0xFFF) == entry.Mode
                 && (fingerprintKnown || File.ReadAllBytes(path).AsSpan().SequenceEqual(entry.Content)),
        };
        return current ? DiskState.Current : DiskState.Different;
    }

    /// <summary>Creates an entry where nothing is: no temporary needed, nothing to replace.</summary>
    private static void Create(string path, LayoutEntry entry)
    {
        switch (entry.Kind)
        {
            case LayoutEntryKind.Directory:
                System.IO.Directory.CreateDirectory(path, entry.Mode);
                if (NeedsChmod(entry.Mode))
                    File.SetUnixFileMode(path, entry.Mode);
                break;
            case LayoutEntryKind.Symlink:
                File.CreateSymbolicLink(path, entry.LinkTarget!);
                break;
            default:
                // OpenHandle (lighter than a FileStream) creates with 0666 less the umask.
                using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, 0))
                    RandomAccess.Write(handle, entry.Content ?? [], 0);
                if (entry.Mode != ((UnixFileMode)0b110_110_110 & ~UmaskBits))
                    File.SetUnixFileMode(path, entry.Mode);
                break;
        }
    }

    private static void Apply(string path, LayoutEntry entry)
    {
        if (new DirectoryInfo(path) is { Exists: true, LinkTarget: null })
            throw new IOException($"a directory is in the way of generated {entry.Kind.ToString().ToLowerInvariant()} '{path}'");
        switch (entry.Kind)
        {
            case LayoutEntryKind.Symlink:
                AtomicFile.CreateSymbolicLink(path, entry.LinkTarget!);
                break;
            case LayoutEntryKind.Seed:
                using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = entry.Mode }))
                {
                }
                if (NeedsChmod(entry.Mode))
                    File.SetUnixFileMode(path, entry.Mode);
                break;
            default:
                AtomicFile.WriteAllBytes(path, entry.Content, entry.Mode);
                break;
        }
    }

    private static int Prune(string root, IEnumerable<string> stale, IReadOnlySet<string> keep, CancellationToken cancellation)
    {
        var pruned = 0;
        var directories = new List<string>();
        foreach (var relative in stale)
        {
            cancellation.ThrowIfCancellationRequested();
            var path = Path.Combine(root, relative);
            var info = new FileInfo(path);
            if (info.LinkTarget is not null || info.Exists)
            {
                File.Delete(path);
                pruned++;
            }
            else if (Directory.Exists(path))
            {
                directories.Add(path);
            }
            // Parents of pruned entries that end up empty go too (a removed node's tree).
            for (var parent = Path.GetDirectoryName(path); parent is not null && parent.Length > root.Length; parent = Path.GetDirectoryName(parent))
            {
                if (keep.Contains(Path.GetRelativePath(root, parent)))
                    break;
                directories.Add(parent);
            }
        }
        // Deepest first; a directory that still holds run-time state is left alone.
        foreach (var dir in directories.Distinct().OrderByDescending(d => d.Length))
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
            {
                Directory.Delete(dir);
                pruned++;
            }
        }
        return pruned;
    }

    private static Dictionary<string, string> ReadRecord(string recordFile, Dictionary<string, string>? into = null)
    {
        var record = into ?? new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(recordFile))
            return record;
        foreach (var line in File.ReadLines(recordFile))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0)
                record.TryAdd(line[(tab + 1)..], line[..tab]);
        }
        return record;
    }

    /// <summary>Every path the last completed generation under <paramref name="root"/> wrote.</summary>
    public static IReadOnlyCollection<string> GeneratedPaths(string root) => ReadRecord(Path.Combine(root, RecordPath)).Keys;

    private static void WriteJournal(string journal, List<string> added) =>
        WriteLines(journal, added.Count, added.Select(path => ("pending", path)));

    private static void WriteRecord(string recordFile, Dictionary<string, string> record) =>
        WriteLines(recordFile, record.Count, record.Select(p => (p.Value, p.Key)));

    /// <summary>"fingerprint TAB path" lines, the format of the record and of the journal.</summary>
    private static void WriteLines(string file, int count, IEnumerable<(string Fingerprint, string Path)> lines)
    {
        var text = new StringBuilder(count * 96);
        foreach (var (fingerprint, path) in lines)
            text.Append(fingerprint).Append('\t').Append(path).Append('\n');
        AtomicFile.WriteAllBytes(file, Encoding.UTF8.GetBytes(text.ToString()), null);
    }

    private static bool RecordEquals(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}
