using System.Collections.Concurrent;
using VCluster.Engine.Diagnostics;
using static VCluster.Engine.Layout.FileModes;
using static VCluster.Engine.Layout.LayoutPartitions;

namespace VCluster.Engine.Layout;

/// <summary>
/// One entry against the disk: whether what is there is the entry as generated (by the
/// record, or by content), and creating or replacing it (atomically where something is there).
/// </summary>
internal static class EntryReconciler
{
    /// <summary>
    /// Adds <paramref name="last"/>'s record line to <paramref name="final"/>; when the file on
    /// disk differs, writes the new one beside it, to be put in place by the caller.
    /// </summary>
    internal static AtomicFile.StagedFile? Stage(string root, LayoutEntry last, Dictionary<string, string> previous, List<(string Path, string Value)> final)
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

    internal static bool EnsureDirectory(string path, UnixFileMode mode)
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

    internal enum DiskState
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
    internal static string RecordValue(string path, LayoutEntry entry, DateTime? written) =>
        entry.Kind == LayoutEntryKind.File ? $"{entry.Fingerprint} {(written ?? File.GetLastWriteTimeUtc(path)).Ticks}" : entry.Fingerprint;

    /// <summary>
    /// The absolute path of the file <paramref name="entry"/> may be a hard link of: only a
    /// generated file of the cluster's own (written before any node's) with the same content
    /// and mode (the fingerprint says both) qualifies.
    /// </summary>
    internal static string? LinkSource(string root, LayoutEntry entry, Dictionary<string, LayoutEntry> wanted) =>
        entry.SameAs is { } same && PartitionOf(same).Length == 0 && wanted.TryGetValue(same, out var source)
            && source.Kind == LayoutEntryKind.File && source.Fingerprint == entry.Fingerprint
            ? Path.Combine(root, same)
            : null;

    internal static DiskState Compare(string path, LayoutEntry entry, string? recorded)
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
    internal static DateTime? Create(string path, LayoutEntry entry, string? linkSource, ConcurrentDictionary<string, DateTime> linkSources)
    {
        switch (entry.Kind)
        {
            case LayoutEntryKind.Directory:
                FreshEntries.Directory(path, entry.Mode);
                return null;
            case LayoutEntryKind.Symlink:
                FreshEntries.Symlink(path, entry.LinkTarget!);
                return null;
            case LayoutEntryKind.Seed when entry.LinkTarget is { } target:
                FreshEntries.Symlink(path, target);
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

    internal static void Apply(string path, LayoutEntry entry, string? linkSource)
    {
        if (new DirectoryInfo(path) is { Exists: true, LinkTarget: null })
            throw new IOException($"a directory is in the way of generated {entry.Kind.ToString().ToLowerInvariant()} '{path}'");
        switch (entry.Kind)
        {
            case LayoutEntryKind.Symlink:
                AtomicFile.CreateSymbolicLink(path, entry.LinkTarget!);
                break;
            case LayoutEntryKind.Seed when entry.LinkTarget is { } target:
                AtomicFile.CreateSymbolicLink(path, target);
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
}
