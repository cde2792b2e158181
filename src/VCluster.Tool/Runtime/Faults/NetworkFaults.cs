using System.Globalization;
using System.Text;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Faults;

/// <summary>
/// A cut between nodes: what <see cref="Nodes"/> and <see cref="From"/> send each other is lost
/// (with <see cref="OneWay"/>, only what <see cref="From"/> sends to <see cref="Nodes"/>).
/// </summary>
public sealed record NetworkPartition(List<string> Nodes, List<string> From, bool OneWay)
{
    public string Kind => "partition";

    public bool Involves(string node) => Nodes.Contains(node) || From.Contains(node);

    public string Describe() => OneWay
        ? $"partition: what {Names(From)} send to {string.Join(", ", Nodes)} is lost (one way)"
        : $"partition: {string.Join(", ", Nodes)} cut off from {Names(From)}";

    private static string Names(List<string> nodes) => nodes.Count > 6 ? $"{string.Join(", ", nodes.Take(5))} and {nodes.Count - 5} more" : string.Join(", ", nodes);
}

/// <summary>
/// Network faults between nodes, made in the sandbox's own network namespace (never the
/// machine's) with one nftables table that is replaced whole at each change. Every node's
/// connections leave from its own address (Native/source-address.c), so a rule on address
/// pairs cuts exactly the nodes named; each partition is one rule (two, both ways) on two
/// address sets, whatever the number of nodes. The faults last as long as the sandbox: the
/// run-time state records them, and a new sandbox (down and up, or after it died) has none.
/// </summary>
public sealed class NetworkFaults(ClusterSession session)
{
    public const string Table = "vcluster_faults";

    /// <summary>A partition of <paramref name="nodes"/> from <paramref name="from"/> (empty: every other node), validated.</summary>
    public NetworkPartition Partition(IReadOnlyList<string> nodes, IReadOnlyList<string> from, bool oneWay)
    {
        var known = session.Manifest.Nodes.Select(n => n.Name).ToList();
        var unknown = nodes.Concat(from).Where(n => !known.Contains(n)).Distinct().ToList();
        if (unknown.Count > 0)
            throw Invalid($"no node {string.Join(", ", unknown)} in cluster '{session.Manifest.Name}' (its nodes: {string.Join(", ", known.Take(10))}{(known.Count > 10 ? ", ..." : "")})");
        if (nodes.Count == 0)
            throw Invalid("name the nodes to cut off: dotnet vcluster fault partition NODE... [--from NODE...]");
        var both = nodes.Intersect(from).ToList();
        if (both.Count > 0)
            throw Invalid($"{string.Join(", ", both)} cannot be on both sides of a partition");
        var others = from.Count > 0 ? from.Distinct().ToList() : known.Except(nodes).ToList();
        if (others.Count == 0)
            throw Invalid("a partition of every node from none cuts nothing: leave some nodes out, or name them with --from");
        return new NetworkPartition(nodes.Distinct().ToList(), others, oneWay);
    }

    /// <summary>Makes the sandbox's rules those of <paramref name="partitions"/> (none: every fault healed).</summary>
    public void Apply(RuntimeState state, IReadOnlyList<NetworkPartition> partitions)
    {
        var file = Path.Combine(session.Manifest.Sandbox.StateDir, "run", "faults.nft");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var master = session.Roles().Master;
        File.WriteAllText(file, Ruleset(partitions, node => Addresses(node, master)));
        // The machine's nft in the sandbox's user and network namespaces only: the sandbox's
        // /usr may be another release's, and its mount namespace is not needed.
        var result = session.Host.Run(["nsenter", "--preserve-credentials", "--user", "--net", "--target", state.SandboxPid.ToString(CultureInfo.InvariantCulture), "--", "nft", "-f", file],
            new RunOptions(TimeSpan.FromSeconds(30)));
        if (!result.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.FaultFailed,
                $"nft could not set the faults in the sandbox of cluster '{session.Manifest.Name}': {result.Tail(3)} (rules: {file}; nft is in Debian's nftables package)"));
        state.Partitions = [.. partitions];
        state.Save(session.Manifest.Root);
    }

    /// <summary>The node's addresses: its own, and the cluster's address while it is the master.</summary>
    private IEnumerable<string> Addresses(string node, string master)
    {
        yield return session.Manifest.Node(node).Address;
        if (node == master)
            yield return session.Manifest.ClusterAddress;
    }

    /// <summary>
    /// The nftables script for <paramref name="partitions"/>: the table is created (so that the
    /// delete never fails), deleted and made again in one transaction.
    /// </summary>
    public static string Ruleset(IReadOnlyList<NetworkPartition> partitions, Func<string, IEnumerable<string>> addressesOf)
    {
        var text = new StringBuilder();
        text.Append("table inet ").Append(Table).Append('\n');
        text.Append("delete table inet ").Append(Table).Append('\n');
        text.Append("table inet ").Append(Table).Append(" {\n");
        for (var i = 0; i < partitions.Count; i++)
        {
            Set(text, $"cut{i}", partitions[i].Nodes.SelectMany(addressesOf));
            Set(text, $"from{i}", partitions[i].From.SelectMany(addressesOf));
        }
        // Output: between two addresses of one namespace every packet goes out through lo.
        text.Append("  chain output {\n    type filter hook output priority 0; policy accept;\n");
        for (var i = 0; i < partitions.Count; i++)
        {
            text.Append($"    ip saddr @from{i} ip daddr @cut{i} drop\n");
            if (!partitions[i].OneWay)
                text.Append($"    ip saddr @cut{i} ip daddr @from{i} drop\n");
        }
        text.Append("  }\n}\n");
        return text.ToString();
    }

    private static void Set(StringBuilder text, string name, IEnumerable<string> addresses) =>
        text.Append("  set ").Append(name).Append(" { type ipv4_addr; elements = { ")
            .Append(string.Join(", ", addresses.Distinct())).Append(" } }\n");

    private static VClusterException Invalid(string message) =>
        new(new VClusterDiagnostic(ErrorCodes.InvalidFault, message));
}
