namespace VCluster.Engine.Layout;

/// <summary>Removes what an earlier generation wrote and this one does not: files and links, and the folders left empty.</summary>
internal static class LayoutPruner
{
    internal static int Prune(string root, IEnumerable<string> stale, IReadOnlySet<string> keep, CancellationToken cancellation)
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
}
