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

    /// <summary>The master Ganeti names (it moves on master-failover), else the declared one.</summary>
    private static string MasterName(ClusterManifest manifest)
    {
        foreach (var node in manifest.Nodes.OrderByDescending(n => n.Master))
        {
            var file = Path.Combine(node.Root, "var/lib/ganeti/ssconf_master_node");
            if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } name && manifest.Nodes.Any(n => n.Name == name))
                return name;
        }
        return manifest.Master;
    }

    private static HashSet<string>? ReadList(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : null;
}
