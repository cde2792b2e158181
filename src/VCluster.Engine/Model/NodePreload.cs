namespace VCluster.Engine.Model;

/// <summary>
/// The library every node process preloads (LD_PRELOAD, after nss_wrapper), built from
/// Native/*.c beside the engine: what a shared machine lacks that each of Ganeti's machines has.
/// <list type="bullet">
/// <item>Time: Ganeti's RPC connect timeout, raised for many nodes on few cores (<see cref="RpcTimeDilation"/>).</item>
/// <item>The kernel's /proc/sysrq-trigger where the machine's kernel was built without it,
/// which Ganeti's node setup check requires (Native/sysrq-trigger.c; docs/verify.md).</item>
/// <item>A source address of its own: every node's connections into the cluster leave from
/// the node's address, not the destination's, as between machines (Native/source-address.c).</item>
/// </list>
/// </summary>
public static class NodePreload
{
    public const string LibraryName = "libvcluster-node.so";

    /// <summary>Where generation puts the library, relative to the cluster root.</summary>
    public const string Folder = Layout.ClusterRootLayout.NativeDir;

    /// <summary>The library as built for this machine (<see cref="NativeParts"/>).</summary>
    public static byte[] ReadLibrary() => NativeParts.Read(LibraryName);
}
