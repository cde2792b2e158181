namespace VCluster.Tool.Runtime.Phases;

/// <summary>Every other node's daemons in its role now: confd on master candidates, mond everywhere.</summary>
public sealed class DaemonsPhase : IUpPhase
{
    public string Name => "daemons";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        var roles = up.Session.Roles();
        up.Nodes.ForEachNode(up.Manifest.Nodes.Where(n => n.Name != roles.Master), "starting daemons",
            n => up.Resources.Node(n).Ensure(up.Running, roles, cancellation), cancellation);
    }
}
