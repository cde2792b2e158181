using VCluster.Engine.Ganeti;

namespace VCluster.Engine.Model;

/// <summary>
/// Time on a shared machine. Ganeti allows an RPC connection RPC_CONNECT_TIMEOUT (5 s) to
/// connect and finish its TLS handshake, which a machine per node meets easily; here every
/// node shares a few cores, and a cluster-wide RPC makes every node daemon fork and shake
/// hands at once (about 0.1 s of CPU each on the standard machine: docs/benchmarks.md). Past
/// some 70 nodes on two cores wconfd's own ssconf distribution then times out. Every node
/// process preloads <see cref="NodePreload.LibraryName"/> (Native/rpc-timeout.c), which raises that
/// timeout, in Python and Haskell alike, to <see cref="ConnectTimeout"/> seconds.
/// </summary>
public static class RpcTimeDilation
{
    /// <summary>The environment variable the library reads.</summary>
    public const string Variable = "VCLUSTER_RPC_CONNECT_TIMEOUT";

    /// <summary>
    /// CPU seconds one node's share of a cluster-wide RPC may take, with room for other load:
    /// 0.15 s was enough at 250 nodes, not for the hooks RPC after verify at 400 (60 s).
    /// </summary>
    public const double SecondsPerNode = 0.25;

    /// <summary>The default in words, for help texts and the README (a test holds them to the constants).</summary>
    public const string DefaultInWords = "30 s, or 0.25 s per node where more";

    /// <summary>
    /// Never less than this: even on 10 nodes a hooks RPC right after verify (whose checks
    /// keep every core busy for seconds) missed Ganeti's 5 s on the standard machine, and a
    /// test machine runs other work besides.
    /// </summary>
    public const int MinimumSeconds = 30;

    /// <summary>The declared timeout, else enough for every node's handshake on the machine.</summary>
    public static int ConnectTimeout(ClusterPlan plan, GanetiInstallation ganeti) =>
        plan.RpcConnectTimeout ?? Math.Max(Math.Max(MinimumSeconds, ganeti.Constants["RPC_CONNECT_TIMEOUT"]?.GetValue<int>() ?? 5),
            (int)Math.Ceiling(SecondsPerNode * plan.Nodes.Count));
}
