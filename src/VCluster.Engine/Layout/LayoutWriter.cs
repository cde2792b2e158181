using System.Collections.Concurrent;
using System.Text;
using VCluster.Engine.Diagnostics;
using static VCluster.Engine.Layout.EntryReconciler;
using static VCluster.Engine.Layout.GenerationRecord;
using static VCluster.Engine.Layout.LayoutPartitions;

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


    /// <param name="last">
    /// A file put in place after every other entry, after pruning and after the record (the
    /// manifest): what it names is complete, and no journal line outlives it.
    /// </param>
    /// <param name="log">Where the time each part took goes (<see cref="IGenerationLog"/>).</param>
    public static LayoutWriteResult Write(string root, IReadOnlyList<LayoutEntry> entries, CancellationToken cancellation = default, LayoutEntry? last = null,
        IGenerationLog? log = null)
    {
        void TraceStep(System.Diagnostics.Stopwatch clock, string step) => log?.Trace($"writer {step} {clock.ElapsedMilliseconds} ms");

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

        var pruned = LayoutPruner.Prune(root, previous.Keys.Where(p => !wanted.ContainsKey(p)), wanted.Keys.ToHashSet(StringComparer.Ordinal), cancellation);
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

    /// <summary>Deletes every path the last generation wrote (for VClusterClean); run-time state stays.</summary>
    /// <summary>Every path the last completed generation under <paramref name="root"/> wrote.</summary>
    public static IReadOnlyCollection<string> GeneratedPaths(string root) => GenerationRecord.GeneratedPaths(root);

    public static int Clean(string root)
    {
        var recordFile = Path.Combine(root, RecordPath);
        var previous = ReadRecord(recordFile);
        var pruned = LayoutPruner.Prune(root, previous.Keys, new HashSet<string>(), CancellationToken.None);
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



}
