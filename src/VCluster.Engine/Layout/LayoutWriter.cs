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
    public const string RecordPath = ClusterRootLayout.GenerationRecord;
    public const string JournalPath = ClusterRootLayout.GenerationJournal;

    private static readonly bool Trace = Environment.GetEnvironmentVariable("VCLUSTER_TRACE") == "1";

    private static void TraceStep(System.Diagnostics.Stopwatch clock, string step)
    {
        if (Trace)
            Console.Error.WriteLine($"trace:   writer {step} {clock.ElapsedMilliseconds} ms");
    }

    /// <param name="last">
    /// A file put in place after every other entry, after pruning and after the record (the
    /// manifest): what it names is complete, and no journal line outlives it.
    /// </param>
    public static LayoutWriteResult Write(string root, IReadOnlyList<LayoutEntry> entries, CancellationToken cancellation = default, LayoutEntry? last = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        EnsureWritableRoot(root);
        var recordFile = Path.Combine(root, RecordPath);
        var previous = ReadRecord(recordFile);
        var knownTrees = Partitions(previous.Keys);
        var wanted = new Dictionary<string, LayoutEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
            wanted[entry.RelativePath] = entry;
        if (last is not null)
            wanted[last.RelativePath] = last;
        // Every parent folder is part of the layout, declared or not. Entries come grouped by
        // folder: the last parent handled answers most of them without a lookup.
        var lastParent = "";
        foreach (var entry in entries)
        {
            var parentOfEntry = Path.GetDirectoryName(entry.RelativePath.AsSpan());
            if (parentOfEntry.Length == 0 || parentOfEntry.SequenceEqual(lastParent))
                continue;
            lastParent = parentOfEntry.ToString();
            for (var parent = lastParent; !string.IsNullOrEmpty(parent) && !wanted.ContainsKey(parent); parent = Path.GetDirectoryName(parent))
                wanted[parent] = LayoutEntry.Directory(parent, 0b111_101_101);
        }

        // Until this generation completes, a journal beside the record names the paths it is
        // about to create, so that an interrupted build can still prune what it wrote. A node
        // tree that does not exist and that no completed generation wrote is named once: all
        // that will be in it is this generation's, since neither the record nor the manifest
        // (put in place after the journal is gone) names it before this one completes. The
        // lines of an earlier, unfinished journal are kept.
        var journal = Path.Combine(root, JournalPath);
        var pending = ReadJournal(root, journal, previous);
        var partitions = Partitions(wanted.Values.Where(e => e != last));
        var fresh = partitions.Select(p => p.Key).Where(key => key.Length > 0 && !Path.Exists(Path.Combine(root, key))).ToHashSet(StringComparer.Ordinal);
        var journaled = pending.Count;
        foreach (var partition in partitions)
        {
            if (fresh.Contains(partition.Key) && !knownTrees.Contains(partition.Key))
                pending.Add((JournalTree, partition.Key));
            else
                pending.AddRange(partition.Entries.Where(e => !previous.ContainsKey(e.RelativePath)).Select(e => (JournalPending, e.RelativePath)));
        }
        if (last is not null && !previous.ContainsKey(last.RelativePath))
            pending.Add((JournalPending, last.RelativePath));
        if (pending.Count > journaled)
            WriteLines(journal, pending);
        TraceStep(clock, "journal");

        // Each node's tree is independent of the others: write them side by side, each
        // parents first. Errors are collected so that all of them are reported at once.
        var written = 0;
        var errors = new ConcurrentBag<VClusterDiagnostic>();
        var records = new ConcurrentBag<List<(string Path, string Value)>>();
        var linkSources = new ConcurrentDictionary<string, DateTime>(StringComparer.Ordinal);
        void WritePartition((string Key, List<LayoutEntry> Entries) partition) => WriteEntries(partition.Key, partition.Entries);
        void WriteEntries(string partition, IEnumerable<LayoutEntry> entries)
        {
            var count = 0;
            var record = new List<(string, string)>();
            // A node tree that does not exist yet has nothing to compare with or replace.
            var isFresh = fresh.Contains(partition);
            foreach (var entry in entries.OrderBy(e => e.Kind == LayoutEntryKind.Directory ? Depth(e.RelativePath) : int.MaxValue))
            {
                cancellation.ThrowIfCancellationRequested();
                var path = Path.Combine(root, entry.RelativePath);
                try
                {
                    DateTime? time = null;
                    var source = LinkSource(root, entry, wanted);
                    if (isFresh)
                    {
                        time = Create(path, entry, source, linkSources);
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
                                time = Create(path, entry, source, linkSources);
                                count++;
                                break;
                            case DiskState.Different:
                                Apply(path, entry, source);
                                count++;
                                break;
                        }
                    }
                    record.Add((entry.RelativePath, RecordValue(path, entry, time)));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add(new VClusterDiagnostic(ErrorCodes.WriteFailed, $"cannot write '{path}': {e.Message}"));
                }
            }
            records.Add(record);
            Interlocked.Add(ref written, count);
        }

        // The cluster's own entries (among them the "nodes" folder and the files that node
        // files are hard links of) first, then the nodes.
        foreach (var partition in partitions.Where(p => p.Key.Length == 0))
            WritePartition(partition);
        Parallel.ForEach(partitions.Where(p => p.Key.Length > 0), new ParallelOptions { CancellationToken = cancellation }, WritePartition);
        if (!errors.IsEmpty)
            throw new VClusterException(errors.OrderBy(e => e.Message, StringComparer.Ordinal).Take(20).ToList());
        TraceStep(clock, "entries");

        var pruned = Prune(root, previous.Keys.Where(p => !wanted.ContainsKey(p)), wanted.Keys.ToHashSet(StringComparer.Ordinal), cancellation);
        TraceStep(clock, "prune");

        // The record names the last file as it will be; the journal goes; then the file is
        // put in place. Interrupted in between, the next generation finds it different and
        // writes it again.
        var final = records.SelectMany(r => r).ToList();
        using var staged = last is null ? null : Stage(root, last, previous, final);
        if (staged is not null)
            written++;
        if (pending.Count > 0 || !RecordEquals(final, previous))
            WriteRecord(recordFile, final);
        if (File.Exists(journal))
            File.Delete(journal);
        staged?.Commit();
        TraceStep(clock, "record");
        return new LayoutWriteResult(written, wanted.Count - written, pruned);
    }

    /// <summary>
    /// Adds <paramref name="last"/>'s record line to <paramref name="final"/>; when the file on
    /// disk differs, writes the new one beside it, to be put in place by the caller.
    /// </summary>
    private static AtomicFile.StagedFile? Stage(string root, LayoutEntry last, Dictionary<string, string> previous, List<(string Path, string Value)> final)
    {
        if (last.Kind != LayoutEntryKind.File)
            throw new ArgumentException("the last entry must be a file", nameof(last));
        var path = Path.Combine(root, last.RelativePath);
        try
        {
            previous.TryGetValue(last.RelativePath, out var recorded);
            if (Compare(path, last, recorded) == DiskState.Current)
            {
                final.Add((last.RelativePath, RecordValue(path, last, null)));
                return null;
            }
            var staged = AtomicFile.Stage(path, stream => stream.Write(last.Content!), last.Mode);
            final.Add((last.RelativePath, RecordValue(path, last, staged.LastWriteTimeUtc)));
            return staged;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.WriteFailed, $"cannot write '{path}': {e.Message}"));
        }
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
            Directory.CreateDirectory(Path.Combine(root, ClusterRootLayout.StateDir));
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

    /// <summary>
    /// The entries by partition: "nodes/NAME" for a node's, "" for the cluster's own. Looked up
    /// by span, and entries of one node come together: no string is made per entry.
    /// </summary>
    private static List<(string Key, List<LayoutEntry> Entries)> Partitions(IEnumerable<LayoutEntry> entries)
    {
        var partitions = new Dictionary<string, List<LayoutEntry>>(StringComparer.Ordinal);
        var bySpan = partitions.GetAlternateLookup<ReadOnlySpan<char>>();
        var currentKey = (string?)null;
        var current = (List<LayoutEntry>?)null;
        foreach (var entry in entries)
        {
            var key = PartitionOf(entry.RelativePath);
            if (current is null || !key.SequenceEqual(currentKey))
            {
                if (!bySpan.TryGetValue(key, out currentKey, out current))
                {
                    currentKey = key.ToString();
                    current = new List<LayoutEntry>(256);
                    partitions.Add(currentKey, current);
                }
            }
            current!.Add(entry);
        }
        return partitions.Select(p => (p.Key, p.Value)).ToList();
    }

    /// <summary>The partitions that <paramref name="paths"/> lie in.</summary>
    private static HashSet<string> Partitions(IEnumerable<string> paths)
    {
        var partitions = new HashSet<string>(StringComparer.Ordinal);
        var bySpan = partitions.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var path in paths)
            bySpan.Add(PartitionOf(path));
        return partitions;
    }

    private static ReadOnlySpan<char> PartitionOf(string path)
    {
        if (!path.StartsWith("nodes/", StringComparison.Ordinal))
            return "";
        var end = path.IndexOf('/', "nodes/".Length);
        return end < 0 ? path : path.AsSpan(0, end);
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
    private static string RecordValue(string path, LayoutEntry entry, DateTime? written) =>
        entry.Kind == LayoutEntryKind.File ? $"{entry.Fingerprint} {(written ?? File.GetLastWriteTimeUtc(path)).Ticks}" : entry.Fingerprint;

    /// <summary>
    /// The absolute path of the file <paramref name="entry"/> may be a hard link of: only a
    /// generated file of the cluster's own (written before any node's) with the same content
    /// and mode (the fingerprint says both) qualifies.
    /// </summary>
    private static string? LinkSource(string root, LayoutEntry entry, Dictionary<string, LayoutEntry> wanted) =>
        entry.SameAs is { } same && PartitionOf(same).Length == 0 && wanted.TryGetValue(same, out var source)
            && source.Kind == LayoutEntryKind.File && source.Fingerprint == entry.Fingerprint
            ? Path.Combine(root, same)
            : null;

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

    /// <summary>
    /// Creates an entry where nothing is: no temporary needed, nothing to replace. Returns a
    /// file's modification time, for the record.
    /// </summary>
    private static DateTime? Create(string path, LayoutEntry entry, string? linkSource, ConcurrentDictionary<string, DateTime> linkSources)
    {
        switch (entry.Kind)
        {
            case LayoutEntryKind.Directory:
                FreshEntries.Directory(path, entry.Mode);
                return null;
            case LayoutEntryKind.Symlink:
                FreshEntries.Symlink(path, entry.LinkTarget!);
                return null;
            case LayoutEntryKind.Seed:
                FreshEntries.File(path, [], entry.Mode);
                return null;
            default:
                // A hard link shares its source's inode, so its time is the source's.
                if (linkSource is not null && FreshEntries.TryHardLink(linkSource, path))
                    return linkSources.GetOrAdd(linkSource, File.GetLastWriteTimeUtc);
                return FreshEntries.File(path, entry.Content, entry.Mode);
        }
    }

    private static void Apply(string path, LayoutEntry entry, string? linkSource)
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
                if (linkSource is null || !AtomicFile.TryHardLink(linkSource, path))
                    AtomicFile.WriteAllBytes(path, entry.Content!, entry.Mode);
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

    private const string JournalPending = "pending", JournalTree = "tree";

    /// <summary>
    /// The lines of an unfinished journal; the paths they name are added to
    /// <paramref name="into"/> as unknown: a "tree" line stands for everything now in that
    /// folder, found without following links (a link may point out of the cluster root).
    /// </summary>
    private static List<(string Kind, string Path)> ReadJournal(string root, string journal, Dictionary<string, string> into)
    {
        var lines = ReadRecord(journal);
        foreach (var (path, kind) in lines)
        {
            into.TryAdd(path, JournalPending);
            if (kind == JournalTree && new DirectoryInfo(Path.Combine(root, path)) is { Exists: true, LinkTarget: null } tree)
                AddTree(root, tree, into);
        }
        return lines.Select(l => (l.Value, l.Key)).ToList();
    }

    private static void AddTree(string root, DirectoryInfo directory, Dictionary<string, string> into)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            into.TryAdd(Path.GetRelativePath(root, entry.FullName), JournalPending);
            if (entry is DirectoryInfo { LinkTarget: null } sub)
                AddTree(root, sub, into);
        }
    }

    private static void WriteRecord(string recordFile, List<(string Path, string Value)> record) =>
        WriteLines(recordFile, record.Select(p => (p.Value, p.Path)));

    /// <summary>"fingerprint TAB path" lines, the format of the record and of the journal.</summary>
    private static void WriteLines(string file, IEnumerable<(string Fingerprint, string Path)> lines) =>
        AtomicFile.Write(file, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16);
            foreach (var (fingerprint, path) in lines)
            {
                writer.Write(fingerprint);
                writer.Write('\t');
                writer.Write(path);
                writer.Write('\n');
            }
        });

    private static bool RecordEquals(List<(string Path, string Value)> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Path, out var v) && v == p.Value);
}
