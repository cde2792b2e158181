using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;

namespace VCluster.Engine.Ganeti;

/// <summary>
/// The Ganeti versions every node has installed, side by side as Debian installs them
/// (/usr/lib/ganeti/3.0 beside 3.1): the one the cluster starts on, and others that
/// <c>gnt-cluster upgrade --to VERSION</c> can switch it to (<c>VClusterGanetiAlsoInstall</c>,
/// docs/upgrades.md). Each node's prefix holds every version; the node's own
/// <c>/etc/ganeti/lib</c> and <c>share</c> links name the one it runs, as on a machine.
/// </summary>
public sealed class GanetiVersions
{
    private GanetiVersions(GanetiInstallation active, IReadOnlyList<GanetiInstallation> others, string? hostRootAtRuntime)
    {
        Active = active;
        All = [active, .. others];
        HostRootAtRuntime = hostRootAtRuntime;
    }

    /// <summary>The version the cluster is generated and started with.</summary>
    public GanetiInstallation Active { get; }

    /// <summary>Every installed version, the active one first.</summary>
    public IReadOnlyList<GanetiInstallation> All { get; }

    /// <summary>
    /// Where the sandbox shows the machine's own installation (install root "/") when some
    /// version needs another release's userland: a node running that release binds its
    /// <c>/usr</c> over the machine's, and still has to see the machine's Ganeti (a downgrade
    /// runs the older ensure-dirs there). Null: the machine's files stay at their own paths.
    /// </summary>
    public string? HostRootAtRuntime { get; }

    /// <summary>More than one userland among the versions: each node binds its active version's (templates/node/cmd.sbn).</summary>
    public bool MixedUserlands => All.Select(i => i.Userland).Distinct().Count() > 1;

    public static GanetiVersions Single(GanetiInstallation active) => new(active, [], null);

    /// <summary>The versions of a cluster; <paramref name="sandboxRoot"/> is the cluster root as the sandbox shows it.</summary>
    public static GanetiVersions Of(GanetiInstallation active, IReadOnlyList<GanetiInstallation> others, string sandboxRoot)
    {
        foreach (var duplicate in others.Prepend(active).GroupBy(i => i.VersionDir).Where(g => g.Count() > 1))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiVersionsInvalid,
                $"Ganeti {duplicate.Key} is named more than once ({string.Join(", ", duplicate.Select(i => i.InstallRoot))}): a node installs one build of each version, " +
                "as Debian does; remove the duplicate from VClusterGanetiAlsoInstall"));
        var versions = new GanetiVersions(active, others, null);
        return versions.MixedUserlands && versions.All.Any(i => i.InstallRoot == "/")
            ? new GanetiVersions(active, others, ClusterRootLayout.On(sandboxRoot, ClusterRootLayout.HostRoot))
            : versions;
    }

    /// <summary>
    /// A path of <paramref name="installation"/>'s files as every node sees it, whichever
    /// userland it runs: the machine's through <see cref="HostRootAtRuntime"/> when that is set.
    /// </summary>
    public string AtRuntime(GanetiInstallation installation, string path) =>
        HostRootAtRuntime is { } hostRoot && installation.InstallRoot == "/" ? hostRoot + path : path;

    /// <summary>The <c>/usr</c> a node running <paramref name="installation"/> binds, as the sandbox shows it.</summary>
    public string UsrAtRuntime(GanetiInstallation installation) =>
        installation.Userland is { } userland ? Path.Combine(userland, "usr") : AtRuntime(installation, "/usr");

    /// <summary>
    /// The version folder ("3.1") a node runs: what its own <c>etc/ganeti/share</c> link names,
    /// which its join writes and <c>gnt-cluster upgrade</c> switches. Null where the node has no
    /// such link (a tree generated before nodes had one).
    /// </summary>
    public static string? RunningOn(string nodeRoot) =>
        new FileInfo(Path.Combine(nodeRoot, "etc", "ganeti", "share")).LinkTarget is { } target
            ? Path.GetFileName(Path.TrimEndingDirectorySeparator(target))
            : null;
}
