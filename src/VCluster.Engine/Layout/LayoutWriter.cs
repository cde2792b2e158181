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

    public static LayoutWriteResult Write(string root, IReadOnlyList<LayoutEntry> entries, CancellationToken cancellation = default)
    {
        EnsureWritableRoot(root);
        var recordFile = Path.Combine(root, RecordPath);
        var previous = ReadRecord(recordFile);
        var wanted = new Dictionary<string, LayoutEntry>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
            wanted[entry.RelativePath] = entry;

        // Until this generation completes, the record names both generations' paths, so an
        // interrupted build can still prune whatever either of them wrote.
        var pending = new Dictionary<string, string>(previous, StringComparer.Ordinal);
        foreach (var entry in wanted.Values)
            pending.TryAdd(entry.RelativePath, "pending");
        if (pending.Count != previous.Count)
            WriteRecord(recordFile, pending);

        var written = 0;
        var unchanged = 0;
        var directories = wanted.Values.Where(e => e.Kind == LayoutEntryKind.Directory)
            .OrderBy(e => e.RelativePath.Count(c => c == '/')).ThenBy(e => e.RelativePath, StringComparer.Ordinal);
        foreach (var dir in directories)
        {
            cancellation.ThrowIfCancellationRequested();
            if (EnsureDirectory(Path.Combine(root, dir.RelativePath), dir.Mode))
                written++;
            else
                unchanged++;
        }

        var others = wanted.Values.Where(e => e.Kind != LayoutEntryKind.Directory).ToList();
        var writtenFiles = 0;
        var errors = new ConcurrentBag<VClusterDiagnostic>();
        Parallel.ForEach(others, new ParallelOptions { CancellationToken = cancellation }, entry =>
        {
            var path = Path.Combine(root, entry.RelativePath);
            try
            {
                var known = previous.TryGetValue(entry.RelativePath, out var fingerprint) && fingerprint == entry.Fingerprint;
                if (!IsCurrent(path, entry, known))
                {
                    Apply(path, entry);
                    Interlocked.Increment(ref writtenFiles);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new VClusterDiagnostic(ErrorCodes.WriteFailed, $"cannot write '{path}': {e.Message}"));
            }
        });
        if (!errors.IsEmpty)
            throw new VClusterException(errors.OrderBy(e => e.Message, StringComparer.Ordinal).Take(20).ToList());
        written += writtenFiles;
        unchanged += others.Count - writtenFiles;

        var pruned = Prune(root, previous.Keys.Where(p => !wanted.ContainsKey(p)), wanted.Keys.ToHashSet(StringComparer.Ordinal), cancellation);

        var record = wanted.Values.ToDictionary(e => e.RelativePath, e => e.Fingerprint, StringComparer.Ordinal);
        if (!RecordEquals(record, previous) || pending.Count != previous.Count)
            WriteRecord(recordFile, record);
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
            var probe = Path.Combine(root, ".state", $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.UnwritableRoot,
                $"cluster root '{root}' is not writable: {e.Message}"));
        }
    }

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
        File.SetUnixFileMode(path, mode);
        return true;
    }

    private static bool IsCurrent(string path, LayoutEntry entry, bool fingerprintKnown)
    {
        var info = new FileInfo(path);
        switch (entry.Kind)
        {
            case LayoutEntryKind.Seed:
                return info.Exists || info.LinkTarget is not null;
            case LayoutEntryKind.Symlink:
                return info.LinkTarget == entry.LinkTarget;
            default:
                if (!info.Exists || info.LinkTarget is not null || info.Length != entry.Content!.Length)
                    return false;
                if ((info.UnixFileMode & (UnixFileMode)0xFFF) != entry.Mode)
                    return false;
                // Same length and the record says we wrote exactly this: trust it, as git trusts
                // its index, rather than read every file again.
                return fingerprintKnown || File.ReadAllBytes(path).AsSpan().SequenceEqual(entry.Content);
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

    private static Dictionary<string, string> ReadRecord(string recordFile)
    {
        var record = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(recordFile))
            return record;
        foreach (var line in File.ReadLines(recordFile))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0)
                record[line[(tab + 1)..]] = line[..tab];
        }
        return record;
    }

    private static void WriteRecord(string recordFile, Dictionary<string, string> record)
    {
        var text = new StringBuilder(record.Count * 96);
        foreach (var (path, fingerprint) in record.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append(fingerprint).Append('\t').Append(path).Append('\n');
        AtomicFile.WriteAllBytes(recordFile, Encoding.UTF8.GetBytes(text.ToString()), null);
    }

    private static bool RecordEquals(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);
}
