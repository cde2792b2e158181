namespace VCluster.Engine.Layout;

/// <summary>The layout by partition: each node's tree ("nodes/NAME") is written on its own, the cluster's own entries ("") first.</summary>
internal static class LayoutPartitions
{
    /// <summary>
    /// The entries by partition: "nodes/NAME" for a node's, "" for the cluster's own. Looked up
    /// by span, and entries of one node come together: no string is made per entry.
    /// </summary>
    internal static List<(string Key, List<LayoutEntry> Entries)> Partitions(IEnumerable<LayoutEntry> entries)
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
    internal static HashSet<string> Partitions(IEnumerable<string> paths)
    {
        var partitions = new HashSet<string>(StringComparer.Ordinal);
        var bySpan = partitions.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var path in paths)
            bySpan.Add(PartitionOf(path));
        return partitions;
    }

    internal static ReadOnlySpan<char> PartitionOf(string path)
    {
        if (!path.StartsWith("nodes/", StringComparison.Ordinal))
            return "";
        var end = path.IndexOf('/', "nodes/".Length);
        return end < 0 ? path : path.AsSpan(0, end);
    }

    internal static int Depth(string path) => path.AsSpan().Count('/');
}
