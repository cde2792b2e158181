using System.Text;

namespace VCluster.Engine.Layout;

/// <summary>
/// The generation record (what the last completed generation wrote: "fingerprint TAB path"
/// lines) and the journal beside it (what an unfinished one was about to write).
/// </summary>
internal static class GenerationRecord
{
    internal static Dictionary<string, string> ReadRecord(string recordFile, Dictionary<string, string>? into = null)
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
    internal static IReadOnlyCollection<string> GeneratedPaths(string root) => ReadRecord(Path.Combine(root, ClusterRootLayout.GenerationRecord)).Keys;

    internal const string JournalPending = "pending", JournalTree = "tree";

    /// <summary>
    /// The lines of an unfinished journal; the paths they name are added to
    /// <paramref name="into"/> as unknown: a "tree" line stands for everything now in that
    /// folder, found without following links (a link may point out of the cluster root).
    /// </summary>
    internal static List<(string Kind, string Path)> ReadJournal(string root, string journal, Dictionary<string, string> into)
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

    internal static void AddTree(string root, DirectoryInfo directory, Dictionary<string, string> into)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            into.TryAdd(Path.GetRelativePath(root, entry.FullName), JournalPending);
            if (entry is DirectoryInfo { LinkTarget: null } sub)
                AddTree(root, sub, into);
        }
    }

    internal static void WriteRecord(string recordFile, List<(string Path, string Value)> record) =>
        WriteLines(recordFile, record.Select(p => (p.Value, p.Path)));

    /// <summary>"fingerprint TAB path" lines, the format of the record and of the journal.</summary>
    internal static void WriteLines(string file, IEnumerable<(string Fingerprint, string Path)> lines) =>
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

    internal static bool RecordEquals(List<(string Path, string Value)> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Path, out var v) && v == p.Value);
}
