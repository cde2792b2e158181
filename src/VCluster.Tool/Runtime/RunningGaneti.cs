using VCluster.Engine.Ganeti;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

/// <summary>
/// The Ganeti version a cluster runs: the one it was made with, or, after
/// <c>gnt-cluster upgrade</c>, another of the versions its nodes install, as the master's own
/// version link names it (docs/upgrades.md).
/// </summary>
public static class RunningGaneti
{
    /// <summary>The installed version the master runs when it is not the one the cluster was made with; else null.</summary>
    public static ManifestGanetiVersion? Other(ClusterManifest manifest)
    {
        if (manifest.Ganeti.Installed is not { } installed)
            return null;
        var master = manifest.Nodes.FirstOrDefault(n => n.Name == ClusterRoles.MasterName(manifest));
        return master is not null && GanetiVersions.RunningOn(master.Root) is { } running
            && installed.FirstOrDefault(v => v.VersionDir == running) is { } version && version.Version != manifest.Ganeti.Version
            ? version
            : null;
    }

    public static string Version(ClusterManifest manifest) => Other(manifest)?.Version ?? manifest.Ganeti.Version;
}
