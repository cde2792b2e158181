using VCluster.Engine.Diagnostics;

namespace VCluster.Engine.Manifest;

/// <summary>A cluster found from a folder: its name and its manifest.</summary>
public sealed record FoundCluster(string Name, string ManifestPath);

/// <summary>
/// How the tool finds a project's clusters from the project's folder, without evaluating the
/// project. A cluster whose root is the default, <c>.vcluster/NAME</c>, is found there; for any
/// other root, generation leaves a pointer <c>.vcluster/NAME.cluster</c> in the project's folder
/// (one line: the manifest's path).
/// </summary>
public static class ClusterDirectory
{
    public const string Folder = ".vcluster";
    public const string PointerExtension = ".cluster";

    /// <summary>Makes the cluster findable from <paramref name="projectDirectory"/>; writes only what changed.</summary>
    public static void Remember(string projectDirectory, string name, string manifestPath)
    {
        var pointer = Path.Combine(projectDirectory, Folder, name + PointerExtension);
        var isDefaultRoot = Path.GetFullPath(manifestPath) == Path.GetFullPath(Path.Combine(projectDirectory, Folder, name, ClusterManifest.FileName));
        if (isDefaultRoot)
        {
            if (File.Exists(pointer))
                File.Delete(pointer);
            return;
        }
        var content = Path.GetFullPath(manifestPath) + "\n";
        if (File.Exists(pointer) && File.ReadAllText(pointer) == content)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        AtomicFile.WriteAllBytes(pointer, System.Text.Encoding.UTF8.GetBytes(content), null);
    }

    /// <summary>
    /// The clusters of the nearest folder, from <paramref name="startDirectory"/> up, that has
    /// any: default roots and pointers whose manifest exists, each once.
    /// </summary>
    public static IReadOnlyList<FoundCluster> Find(string startDirectory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            var found = In(Path.Combine(dir.FullName, Folder));
            if (found.Count > 0)
                return found;
        }
        return [];
    }

    private static List<FoundCluster> In(string folder)
    {
        if (!Directory.Exists(folder))
            return [];
        var found = new List<FoundCluster>();
        foreach (var sub in Directory.EnumerateDirectories(folder))
        {
            var manifest = Path.Combine(sub, ClusterManifest.FileName);
            if (File.Exists(manifest))
                found.Add(new FoundCluster(Path.GetFileName(sub), manifest));
        }
        foreach (var pointer in Directory.EnumerateFiles(folder, "*" + PointerExtension))
        {
            var manifest = File.ReadAllText(pointer).Trim();
            if (manifest.Length > 0 && File.Exists(manifest))
                found.Add(new FoundCluster(Path.GetFileNameWithoutExtension(pointer), manifest));
        }
        return found.DistinctBy(c => c.ManifestPath).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The manifest to act on: <paramref name="explicitManifest"/> if given, else the one cluster
    /// found from <paramref name="directory"/> (named <paramref name="name"/>, if given).
    /// </summary>
    public static string Choose(string directory, string? explicitManifest, string? name)
    {
        if (explicitManifest is not null)
            return Path.GetFullPath(explicitManifest, directory);
        var found = Find(directory);
        var matching = name is null ? found : found.Where(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matching.Count == 1)
            return matching[0].ManifestPath;
        string List(IEnumerable<FoundCluster> clusters) => string.Join("; ", clusters.Select(c => $"{c.Name} ({c.ManifestPath})"));
        if (matching.Count == 0)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ManifestMissing, found.Count == 0
                ? $"no cluster found in '{directory}' or its parents (no {Folder}/NAME/{ClusterManifest.FileName} and no {Folder}/NAME{PointerExtension}): " +
                  "run 'dotnet build -t:VClusterGenerate' in the cluster's project, or 'dotnet vcluster generate', or pass --manifest PATH"
                : $"no cluster named '{name}' here; the clusters here are: {List(found)}"));
        throw new VClusterException(new VClusterDiagnostic(ErrorCodes.AmbiguousCluster,
            $"{matching.Count} clusters here: {List(matching)}; choose one with --cluster NAME or --manifest PATH"));
    }
}
