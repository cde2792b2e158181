using VCluster.Engine.Ganeti;

namespace VCluster.Engine.Model;

/// <summary>
/// What the sandbox shows each node besides its addresses. Ganeti's file storage folder is a
/// cluster-wide path, yet every real node has its own disk behind it (an instance move copies
/// between them). So every node's processes run in a mount namespace of their own, in which
/// the node tree's <see cref="StorageMount"/> is mounted over the machine's: the same path
/// names a different folder on every node, as on hardware. The shared-file folder is the one
/// cluster-wide folder mounted into all of them. Instances with a NIC use a bridge that
/// exists only in the sandbox's network namespace.
/// </summary>
public sealed record SandboxLayout(string StorageMount, string FileStorageDir, string SharedFileStorageDir, string SharedFolder, string Bridge)
{
    /// <summary>An existing folder of every Debian machine (FHS: data served by this system).</summary>
    public const string DefaultStorageMount = "/srv";

    /// <summary>
    /// Where the sandbox mounts the cluster root: short, so that node sockets fit Unix socket
    /// paths wherever the root lies on the host, and an existing folder of every Debian
    /// machine (FHS: a mount point for a temporarily mounted file system).
    /// </summary>
    public const string ClusterMount = "/mnt";
    public const string DefaultBridge = "vcbr0";

    /// <summary>
    /// Ganeti's own default folders where they lie under the mount, else folders under it; the
    /// shared folder (the one every node sees as <see cref="SharedFileStorageDir"/>) is in the cluster root.
    /// </summary>
    public static SandboxLayout For(ClusterPlan plan, GanetiInstallation ganeti)
    {
        string Under(string installedDefault, string fallback) =>
            installedDefault.StartsWith(DefaultStorageMount + "/", StringComparison.Ordinal) ? installedDefault : fallback;
        return new SandboxLayout(
            DefaultStorageMount,
            Under(ganeti.Paths.DefaultFileStorageDir, "/srv/ganeti/file-storage"),
            Under(ganeti.Paths.DefaultSharedFileStorageDir, "/srv/ganeti/shared-file-storage"),
            Path.Combine(plan.SandboxRoot, "shared-file-storage"),
            DefaultBridge);
    }

    /// <summary>
    /// For a Ganeti outside the machine's /usr that lies under /tmp or /var/tmp, which the
    /// sandbox replaces with its own: the folder the sandbox binds back, null for none. Its
    /// parent where it can: a rebuild swaps a new installation in by renaming, which a bind of
    /// the old folder would not show.
    /// </summary>
    public static string? ScratchMount(string installRoot)
    {
        string[] scratch = ["/tmp", "/var/tmp"];
        if (installRoot == "/" || !IsUnder(installRoot, scratch))
            return null;
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(installRoot))!;
        return IsUnder(parent, scratch) ? parent : installRoot;
    }

    private static bool IsUnder(string path, string[] folders) =>
        folders.Any(f => path.StartsWith(f + "/", StringComparison.Ordinal));
}
