using VCluster.Engine.Ganeti;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Joins;

/// <summary>
/// Every node at once, leaving the state one <c>gnt-node add</c> per node leaves (the
/// end-to-end tests compare both; docs/join.md lists what may differ). Ganeti's own library
/// does the work, run as the master by <c>bulk_join.py</c> (src/VCluster.Engine/Ganeti):
/// node-daemon-setup's files for every node, then, once their daemons run, LUNodeAdd's
/// configuration changes in one write (wconfd distributes it as after any change), then the
/// ancillary files LUNodeAdd distributes. The cost grows with the number of nodes, not with
/// its square, and no RPC is sent where a direct write does the node's own work.
/// </summary>
public sealed class BulkJoin : INodeJoin
{
    public void Join(NodeControl nodes, ManifestNode master, IReadOnlyList<ManifestNode> joining, CancellationToken cancellation)
    {
        if (joining.Count == 0)
            return;
        var script = Path.Combine(nodes.Manifest.SandboxRoot, SandboxScripts.Folder, SandboxScripts.BulkJoin);
        string[] names = [.. joining.Select(n => n.Name)];
        var timeout = TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(2 * joining.Count);

        nodes.Step($"bulk join of {joining.Count} nodes: node-daemon-setup's files on each");
        nodes.RunOnNode(master, [nodes.Manifest.Ganeti.Python, script, "prepare", .. names], "bulk join (prepare)", timeout, cancellation);

        // What node-daemon-setup starts once its files are written.
        nodes.ForEachNode(joining, "starting node daemons", node =>
            nodes.StartDaemons(node, node.Daemons.Where(d => d.Name is "ganeti-noded" or "ganeti-mond").Select(d => d.Name), cancellation), cancellation);

        nodes.Step($"bulk join: LUNodeAdd's configuration changes for {joining.Count} nodes, one write");
        var added = nodes.RunOnNode(master, [nodes.Manifest.Ganeti.Python, script, "add", .. names], "bulk join (add)", timeout, cancellation);
        // What wconfd's distribution missed and how it was completed (bulk_join.py's WaitForDistribution).
        foreach (var line in added.Output.Split('\n').Where(l => l.Contains("wconfd", StringComparison.Ordinal)))
            nodes.Step($"bulk join: {line.Trim()}");

        nodes.Step("bulk join: RedistributeAncillaryFiles' files on each");
        nodes.RunOnNode(master, [nodes.Manifest.Ganeti.Python, script, "distribute", .. names], "bulk join (distribute)", timeout, cancellation);
    }
}
