using System.Globalization;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;

namespace VCluster.Engine.Model;

/// <summary>
/// What makes a process one virtual node, inside the sandbox: Ganeti's own variables plus
/// nss_wrapper's, and the node's PATH. Defined here once: the manifest records it (the tool
/// and tests read it there) and the node's cmd renders it (templates/node/cmd.sbn,
/// <c>node.environment</c> and <c>node.path</c>).
/// </summary>
public static class NodeEnvironment
{
    /// <summary>Name and value of each variable, in the order cmd sets them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Of(NodePlan node, ClusterPlan plan, GanetiInstallation ganeti) =>
    [
        new("GANETI_ROOTDIR", node.SandboxRoot),
        new("GANETI_HOSTNAME", node.Name),
        new("HOME", Path.Combine(node.SandboxRoot, "root")),
        // luxid runs jobs with its own PYTHONPATH but keeps this: the user site's .pth file puts
        // the node's installation first, so job code sees the node's constants too.
        new("PYTHONUSERBASE", Path.Combine(node.Prefix, "pyuser")),
        new("LD_PRELOAD", plan.Preload),
        // RPC time dilation (docs/design.md): every node shares this machine's cores.
        new(RpcTimeDilation.Variable, RpcTimeDilation.ConnectTimeout(plan, ganeti).ToString(CultureInfo.InvariantCulture)),
        new("NSS_WRAPPER_PASSWD", Path.Combine(node.SandboxRoot, "etc", "vcluster", "passwd")),
        new("NSS_WRAPPER_GROUP", ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.Group)),
        new("NSS_WRAPPER_MAX_HOSTENTS", MaxHostEntries(plan).ToString(CultureInfo.InvariantCulture)),
        new("NSS_WRAPPER_HOSTNAME", node.Name),
        new("VCLUSTER_NODE", node.Name),
        // The node's connections into the cluster leave from its own address, as on machines
        // (Native/source-address.c): per-node network faults match on address pairs.
        new("VCLUSTER_NODE_ADDRESS", node.Address.ToString()),
        new("VCLUSTER_NETWORK", plan.Network.ToString()),
    ];

    /// <summary>The node's PATH: the cluster's shims (ssh, ...), the node's own Ganeti, then the system's.</summary>
    public static IReadOnlyList<string> PathOf(NodePlan node, ClusterPlan plan) =>
        [BinDir(plan), Path.Combine(node.Prefix, "sbin"), Path.Combine(node.Prefix, "lib", "ganeti", "tools"), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The cluster's shims, as the sandbox sees them.</summary>
    public static string BinDir(ClusterPlan plan) => Path.Combine(plan.SandboxRoot, "bin");

    /// <summary>
    /// nss_wrapper keeps host entries in a fixed-size table (100 by default, and every name
    /// and address takes one): size it for the cluster's hosts map, with room to spare.
    /// </summary>
    public static int MaxHostEntries(ClusterPlan plan) => Math.Max(1000, 4 * (plan.Nodes.Count + plan.Instances.Count + plan.DeclaredInstances.Count + 1));
}
