using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>
/// In place of init and join, for a cluster that another initialises (Ganeti's QA, in
/// <c>qa --own-cluster</c>): no node is a member and no Ganeti daemon runs, as on machines
/// with Ganeti installed; the master-to-be has the SSH host key <c>gnt-cluster init</c>
/// reads (the other nodes get the master's when they join, as <c>up</c>'s joins do). A
/// cluster that is already initialised stops here: <c>destroy</c> deletes its configuration.
/// </summary>
public sealed class UninitialisedPhase : IUpPhase
{
    public string Name => "uninitialised";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        var roles = up.Session.Roles();
        Require(up.Manifest, roles);
        up.Master = up.Manifest.Node(roles.Master);
        up.Members = roles.Members;
        InitOrResumePhase.EnsureHostKey(up, up.Master, cancellation);
    }

    /// <summary>Refuses a cluster whose master already has Ganeti's configuration.</summary>
    public static void Require(ClusterManifest manifest, ClusterRoles roles)
    {
        if (roles.Members.Count > 0)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ClusterInitialised,
                $"cluster '{manifest.Name}' is initialised ({roles.Members.Count} nodes are members): a cluster another initialises (qa --own-cluster) must have none; " +
                "'dotnet vcluster destroy' deletes its configuration"));
    }
}
