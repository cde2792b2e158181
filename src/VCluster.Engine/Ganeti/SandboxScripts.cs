namespace VCluster.Engine.Ganeti;

/// <summary>
/// Python that the tool runs inside the sandbox, as a node, with the installed Ganeti's own
/// library. Generation writes each into the cluster (<see cref="Folder"/>), so a cluster
/// carries the scripts of the SDK that generated it.
/// </summary>
public static class SandboxScripts
{
    /// <summary>Where the scripts go, relative to the cluster root.</summary>
    public const string Folder = Layout.ClusterRootLayout.GanetiScripts;

    /// <summary>bulk_join.py: many nodes into a fresh cluster at once (see the script).</summary>
    public const string BulkJoin = "bulk_join.py";

    /// <summary>populate.py: many instances into a cluster at once (see the script), with its two modules beside it.</summary>
    public const string Populate = "populate.py";

    public static IReadOnlyList<(string Name, byte[] Content)> All { get; } =
        [.. new[] { BulkJoin, Populate, "populate_agents.py", "populate_wconfd.py" }.Select(name => (name, Read(name)))];

    private static byte[] Read(string name)
    {
        using var stream = typeof(SandboxScripts).Assembly.GetManifestResourceStream("VCluster.Engine." + name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
