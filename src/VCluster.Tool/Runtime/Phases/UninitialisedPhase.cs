using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

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
        var key = Path.Combine(up.Master.Root, "etc/ssh/ssh_host_rsa_key");
        if (File.Exists(key + ".pub"))
            return;
        up.Session.Step($"{up.Master.Name}: creating its SSH host key");
        var result = up.Session.Host.Run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", $"root@{up.Master.Name}", "-f", key],
            new RunOptions(TimeSpan.FromMinutes(1)), cancellation);
        if (!result.Succeeded)
            throw NodeControl.Failure(up.Master.Name, "ssh-keygen", result.Tail(3));
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
