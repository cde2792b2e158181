using System.Globalization;
using System.Text;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime.Faults;

/// <summary>
/// One fault on the traffic between <see cref="Nodes"/> and <see cref="From"/>, both ways (with
/// <see cref="OneWay"/>, only what <see cref="From"/> sends to <see cref="Nodes"/>):
/// <see cref="Partition"/> loses all of it, <see cref="Loss"/> <see cref="Amount"/> percent of
/// its packets, <see cref="Rate"/> what exceeds <see cref="Amount"/> kbit/s each way,
/// <see cref="Reset"/> answers every TCP packet with a reset, <see cref="Delay"/> holds each
/// packet <see cref="Amount"/> ms (± <see cref="Jitter"/> ms) each way (<see cref="PacketDelays"/>).
/// </summary>
public sealed record NetworkFault(string Kind, List<string> Nodes, List<string> From, bool OneWay, int Amount = 0, int Jitter = 0)
{
    public const string Partition = "partition";
    public const string Loss = "loss";
    public const string Rate = "rate";
    public const string Reset = "reset";
    public const string Delay = "delay";

    /// <summary>A delay beyond a minute tells nothing more: Ganeti's own timeouts are shorter.</summary>
    public const int MaximumDelay = 60_000;

    public bool Involves(string node) => Nodes.Contains(node) || From.Contains(node);

    public string Describe()
    {
        var what = Kind switch
        {
            Loss => $"loss {Amount}%",
            Rate => $"rate {Amount} kbit/s",
            Reset => "reset",
            Delay => Jitter > 0 ? $"delay {Amount} ms ± {Jitter} ms" : $"delay {Amount} ms",
            _ => "partition",
        };
        var between = OneWay
            ? $"what {Names(From)} send{(From.Count == 1 ? "s" : "")} to {string.Join(", ", Nodes)} (one way)"
            : Kind == Partition ? $"{string.Join(", ", Nodes)} cut off from {Names(From)}" : $"between {string.Join(", ", Nodes)} and {Names(From)}";
        return $"{what}: {between}";
    }

    /// <summary>The nft statement that ends each matching packet's way (a delay's marks it in its own chain instead).</summary>
    internal string Verdict => Kind switch
    {
        Loss => $"numgen random mod 100 < {Amount} drop",
        // A token bucket per rule: each way of the fault gets the rate, as a link would. Its
        // burst holds one packet of the loopback device every pair of nodes goes through (MTU
        // 64 KiB): a smaller bucket would never pass a full TCP segment, and the link would stall.
        Rate => $"limit rate over {Math.Max(1, Amount / 8)} kbytes/second burst 64 kbytes drop",
        // Not resets themselves: the reset the kernel answers with goes out through this
        // chain too, and the reverse rule would swallow it (a connect then timed out).
        Reset => "meta l4proto tcp tcp flags & rst == 0 reject with tcp reset",
        _ => "drop",
    };

    private static string Names(List<string> nodes) => nodes.Count > 6 ? $"{string.Join(", ", nodes.Take(5))} and {nodes.Count - 5} more" : string.Join(", ", nodes);
}

/// <summary>
/// Network faults between nodes, made in the sandbox's own network namespace (never the
/// machine's) with one nftables table that is replaced whole at each change. Every node's
/// connections leave from its own address (Native/source-address.c), so a rule on address
/// pairs cuts exactly the nodes named; each fault is one rule a direction on two address sets,
/// whatever the number of nodes. The faults last as long as the sandbox: the
/// run-time state records them, and a new sandbox (down and up, or after it died) has none.
/// </summary>
public sealed class NetworkFaults(ClusterSession session)
{
    public const string Table = "vcluster_faults";

    /// <summary>A fault between <paramref name="nodes"/> and <paramref name="from"/> (empty: every other node), validated.</summary>
    public NetworkFault Fault(string kind, IReadOnlyList<string> nodes, IReadOnlyList<string> from, bool oneWay, int amount = 0, int jitter = 0)
    {
        if (kind == NetworkFault.Loss && amount is < 1 or > 100)
            throw Invalid($"loss is a percentage of packets from 1 to 100, not {amount}");
        if (kind == NetworkFault.Rate && amount < 8)
            throw Invalid($"a rate is at least 8 kbit/s, not {amount}");
        if (kind == NetworkFault.Delay && amount is < 1 or > NetworkFault.MaximumDelay)
            throw Invalid($"a delay is from 1 to {NetworkFault.MaximumDelay} ms, not {amount}");
        if (kind == NetworkFault.Delay && (jitter < 0 || jitter > amount))
            throw Invalid($"a delay's jitter is from 0 to the delay ({amount} ms), not {jitter}");
        RequireNodes(session.Manifest, nodes.Concat(from));
        var known = session.Manifest.Nodes.Select(n => n.Name).ToList();
        if (nodes.Count == 0)
            throw Invalid($"name the nodes: dotnet vcluster fault {kind} NODE... [--from NODE...]");
        var both = nodes.Intersect(from).ToList();
        if (both.Count > 0)
            throw Invalid($"{string.Join(", ", both)} cannot be on both sides of a fault");
        var others = from.Count > 0 ? from.Distinct().ToList() : known.Except(nodes).ToList();
        if (others.Count == 0)
            throw Invalid($"a {kind} between every node and none touches nothing: leave some nodes out, or name them with --from");
        return new NetworkFault(kind, nodes.Distinct().ToList(), others, oneWay, amount, kind == NetworkFault.Delay ? jitter : 0);
    }

    /// <summary>The error for names that are no node of the cluster.</summary>
    public static void RequireNodes(ClusterManifest manifest, IEnumerable<string> names)
    {
        var known = manifest.Nodes.Select(n => n.Name).ToList();
        var unknown = names.Where(n => !known.Contains(n)).Distinct().ToList();
        if (unknown.Count > 0)
            throw Invalid($"no node {string.Join(", ", unknown)} in cluster '{manifest.Name}' (its nodes: {string.Join(", ", known.Take(10))}{(known.Count > 10 ? ", ..." : "")})");
    }

    /// <summary>Ends the faults that involve <paramref name="node"/> (null: every fault); returns those ended.</summary>
    public IReadOnlyList<NetworkFault> Heal(RuntimeState state, string? node)
    {
        if (node is not null)
            RequireNodes(session.Manifest, [node]);
        bool Healed(NetworkFault fault) => node is null || fault.Involves(node);
        var healed = state.Faults.Where(Healed).ToList();
        Apply(state, state.Faults.Where(f => !Healed(f)).ToList());
        return healed;
    }

    /// <summary>
    /// Makes the sandbox's rules those of <paramref name="faults"/> (none: every fault healed);
    /// the open TCP connections of <paramref name="reset"/>'s nodes are ended at once.
    /// </summary>
    public void Apply(RuntimeState state, IReadOnlyList<NetworkFault> faults, NetworkFault? reset = null)
    {
        var file = Path.Combine(session.Manifest.Sandbox.StateDir, "run", "faults.nft");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var master = session.Roles().Master;
        File.WriteAllText(file, Ruleset(faults, node => Addresses(node, master)));
        var result = session.Host.Run(InNetwork(state, ["nft", "-f", file]), new RunOptions(TimeSpan.FromSeconds(30)));
        if (!result.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.FaultFailed,
                $"nft could not set the faults in the sandbox of cluster '{session.Manifest.Name}': {result.Tail(3)} (rules: {file}; nft is in Debian's nftables package)"));
        state.Faults = [.. faults];
        state.Save(session.Manifest.Root);
        new PacketDelays(session).Apply(state, faults);
        state.Save(session.Manifest.Root);
        // Packets of open connections meet the reset rule only when they flow; ss ends them now
        // (the kernel's sock_destroy, allowed to the network namespace's root).
        if (reset is not null)
            foreach (var address in reset.Nodes.SelectMany(n => Addresses(n, master)))
                session.Host.Run(InNetwork(state, ["ss", "--kill", "--tcp", "state", "established", "(", "src", address, "or", "dst", address, ")"]), new RunOptions(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// The machine's program in the sandbox's user and network namespaces only: the sandbox's
    /// /usr may be another release's, and its mount namespace is not needed.
    /// </summary>
    internal static IReadOnlyList<string> InNetwork(RuntimeState state, IReadOnlyList<string> command) =>
        ["nsenter", "--preserve-credentials", "--user", "--net", "--target", state.SandboxPid.ToString(CultureInfo.InvariantCulture), "--", .. command];

    /// <summary>The node's addresses: its own, and the cluster's address while it is the master.</summary>
    private IEnumerable<string> Addresses(string node, string master)
    {
        yield return session.Manifest.Node(node).Address;
        if (node == master)
            yield return session.Manifest.ClusterAddress;
    }

    /// <summary>
    /// The nftables script for <paramref name="faults"/>: the table is created (so that the
    /// delete never fails), deleted and made again in one transaction.
    /// </summary>
    public static string Ruleset(IReadOnlyList<NetworkFault> faults, Func<string, IEnumerable<string>> addressesOf)
    {
        var text = new StringBuilder();
        text.Append("table inet ").Append(Table).Append('\n');
        text.Append("delete table inet ").Append(Table).Append('\n');
        text.Append("table inet ").Append(Table).Append(" {\n");
        for (var i = 0; i < faults.Count; i++)
        {
            Set(text, $"cut{i}", faults[i].Nodes.SelectMany(addressesOf));
            Set(text, $"from{i}", faults[i].From.SelectMany(addressesOf));
        }
        // Output: between two addresses of one namespace every packet goes out through lo.
        text.Append("  chain output {\n    type filter hook output priority 0; policy accept;\n");
        for (var i = 0; i < faults.Count; i++)
        {
            if (faults[i].Kind != NetworkFault.Delay)
                Rules(text, i, faults[i], faults[i].Verdict);
        }
        text.Append("  }\n");
        // Delays: marked before iptables' mangle chain (priority -150), whose NFQUEUE rule hands
        // them to the packet-delay program (PacketDelays); held packets then meet the rules above.
        if (faults.Any(f => f.Kind == NetworkFault.Delay))
        {
            text.Append("  chain delay {\n    type filter hook output priority -200; policy accept;\n");
            for (var i = 0; i < faults.Count; i++)
            {
                if (faults[i].Kind == NetworkFault.Delay)
                    Rules(text, i, faults[i], $"meta mark set {PacketDelays.Mark(i)}");
            }
            text.Append("  }\n");
        }
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>The fault's rule for what From sends to Nodes, and unless one way, for the way back.</summary>
    private static void Rules(StringBuilder text, int i, NetworkFault fault, string statement)
    {
        text.Append($"    ip saddr @from{i} ip daddr @cut{i} {statement}\n");
        if (!fault.OneWay)
            text.Append($"    ip saddr @cut{i} ip daddr @from{i} {statement}\n");
    }

    private static void Set(StringBuilder text, string name, IEnumerable<string> addresses) =>
        text.Append("  set ").Append(name).Append(" { type ipv4_addr; elements = { ")
            .Append(string.Join(", ", addresses.Distinct())).Append(" } }\n");

    internal static VClusterException Invalid(string message) =>
        new(new VClusterDiagnostic(ErrorCodes.InvalidFault, message));
}
