using VCluster.Engine.Manifest;
using VCluster.Engine.Model;

namespace VCluster.Tool.Runtime;

/// <summary>
/// The cluster's roles as Ganeti's own ssconf files name them right now: the master moves on
/// master-failover and candidates change, so nothing here is taken from the manifest but the
/// declared master, for a cluster not yet initialised.
/// </summary>
public sealed record ClusterRoles(string Master, IReadOnlySet<string> Candidates, IReadOnlySet<string> Members)
{
    public static ClusterRoles Read(ClusterManifest manifest)
    {
        var master = MasterName(manifest);
        var data = Path.Combine(manifest.Node(master).Root, "var/lib/ganeti");
        var candidates = ReadList(Path.Combine(data, "ssconf_master_candidates")) ?? new HashSet<string>(StringComparer.OrdinalIgnoreCase) { master };
        var members = !File.Exists(Path.Combine(data, "config.data")) ? new HashSet<string>(StringComparer.OrdinalIgnoreCase)
            : ReadList(Path.Combine(data, "ssconf_node_list")) ?? new HashSet<string>(StringComparer.OrdinalIgnoreCase) { master };
        return new ClusterRoles(master, candidates, members);
    }

    /// <summary>The daemons <paramref name="node"/> runs in its current role.</summary>
    public IReadOnlyList<ManifestDaemon> DaemonsOf(ManifestNode node) =>
        node.Daemons.Where(d => d.Role switch
        {
            DaemonRole.Master => node.Name == Master,
            DaemonRole.MasterCandidates => Candidates.Contains(node.Name),
            _ => true,
        }).ToList();

    /// <summary>
    /// The master most nodes' ssconf names (it moves on master-failover), else the declared one.
    /// A vote, as Ganeti's own daemons take it: an old master that comes back after a failover
    /// with --no-voting still names itself until the new master redistributes the files, and
    /// must not be taken for the master again. A tie goes to the files written last.
    /// </summary>
    public static string MasterName(ClusterManifest manifest)
    {
        var votes = new List<(string Name, DateTime Written)>();
        foreach (var node in manifest.Nodes)
        {
            if (MasterNamedBy(node) is { } name && manifest.Nodes.Any(n => n.Name == name))
                votes.Add((name, File.GetLastWriteTimeUtc(MasterFile(node))));
        }
        return votes.Count == 0 ? manifest.Master
            : votes.GroupBy(v => v.Name).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max(v => v.Written)).First().Key;
    }

    /// <summary>The master <paramref name="node"/>'s own ssconf names, if it names one.</summary>
    public static string? MasterNamedBy(ManifestNode node) =>
        File.Exists(MasterFile(node)) && File.ReadAllText(MasterFile(node)).Trim() is { Length: > 0 } name ? name : null;

    private static string MasterFile(ManifestNode node) => Path.Combine(node.Root, "var/lib/ganeti/ssconf_master_node");

    private static HashSet<string>? ReadList(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : null;
}
