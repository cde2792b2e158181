using VCluster.Tool.Runtime.Joins;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>The nodes that are not yet members join the cluster, the way <paramref name="join"/> does it.</summary>
public sealed class JoinPhase(INodeJoin join, string how) : IUpPhase
{
    public string Name => "join";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        var joining = up.Manifest.Nodes.Where(n => n.Name != up.Master.Name && !up.Members.Contains(n.Name)).ToList();
        if (joining.Count == 0)
            return;
        var (way, name) = (join, how);
        // The version the cluster runs: gnt-cluster upgrade may have switched it.
        var version = RunningGaneti.Version(up.Manifest);
        if (join is BulkJoin && !ShortcutFidelity.ProvenOn(version))
        {
            up.Session.Step($"the bulk join is proven equal to gnt-node add on Ganeti {ShortcutFidelity.ProvenSeries} only: Ganeti {version}'s nodes join one gnt-node add each");
            (way, name) = (new SequentialJoin(), NodeJoins.Sequential);
        }
        up.Session.Step($"joining {joining.Count} nodes ({name})");
        way.Join(up.Nodes, up.Master, joining, cancellation);
    }
}
