using System.Globalization;
using System.Text.RegularExpressions;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;
using VCluster.Engine.Network;

namespace VCluster.Engine.Planning;

/// <summary>Validates a <see cref="ClusterSpec"/> and resolves names, addresses and folders into a <see cref="ClusterPlan"/>.</summary>
public static partial class ClusterPlanner
{
    public const int DefaultMemoryMiB = 4096;
    public const int DefaultCpus = 4;
    public const int DefaultDiskGiB = 100;
    public const int MaxSocketPath = 107;

    // Ganeti compares host names case-insensitively and uses them as directory names: DNS labels only.
    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    public static bool IsDnsLabel(string name) => DnsLabel().IsMatch(name);

    // LVM's names (lvm(8) "VALID NAMES"), narrowed as Ganeti's LogicalVolume._ValidateName does.
    [GeneratedRegex("^[a-zA-Z0-9+_.][a-zA-Z0-9+_.-]{0,126}$", RegexOptions.CultureInvariant)]
    private static partial Regex LvmName();

    /// <summary>Physical volumes a node's volume group may span (QA's exclusive storage needs 2 or more).</summary>
    public const int MaxPhysicalVolumes = 16;

    public static ClusterPlan Plan(ClusterSpec spec)
    {
        var errors = new List<VClusterDiagnostic>();
        var source = new ProjectSourceLocator(spec.SourceFile);

        if (!DnsLabel().IsMatch(spec.Name ?? ""))
            errors.Add(source.Error(ErrorCodes.InvalidClusterName,
                $"cluster name '{spec.Name}' is not a DNS label (letters, digits and '-', 1 to 63 characters, not starting or ending with '-')",
                "VClusterName"));

        var root = spec.Root ?? "";
        if (!Path.IsPathFullyQualified(root))
            errors.Add(source.Error(ErrorCodes.InvalidRoot,
                $"VClusterRoot '{root}' is not an absolute path; GANETI_ROOTDIR must be absolute", "VClusterRoot"));
        else
        {
            root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
            // Generated shell scripts name the root in double quotes.
            if (root.IndexOfAny(['"', '$', '`', '\\', '\n']) >= 0)
                errors.Add(source.Error(ErrorCodes.InvalidRoot,
                    $"VClusterRoot '{root}' contains a character generated shell scripts cannot quote (\", $, `, \\ or a line break)", "VClusterRoot"));
        }

        if (!Ipv4Network.TryParse(spec.Network, out var network, out var networkError))
            errors.Add(source.Error(ErrorCodes.InvalidNetwork, $"VClusterNetwork: {networkError}", "VClusterNetwork"));

        var instanceCount = ParseCount(spec.InstanceCount, 0, "VClusterInstanceCount", source, errors);
        int? watcherInterval = string.IsNullOrWhiteSpace(spec.WatcherInterval) ? null
            : ParseCount(spec.WatcherInterval, ClusterPlan.DefaultWatcherInterval, "VClusterWatcherInterval", source, errors, maximum: 86400);
        int? rpcConnectTimeout = string.IsNullOrWhiteSpace(spec.RpcConnectTimeout) ? null
            : ParseCount(spec.RpcConnectTimeout, 0, "VClusterRpcConnectTimeout", source, errors, minimum: 1, maximum: 3600);
        var volumeGroup = spec.Lvm ? PlanVolumeGroup(spec.VolumeGroup, source, errors) : null;
        var physicalVolumes = ParseCount(spec.PhysicalVolumes, 1, "VClusterPhysicalVolumes", source, errors, minimum: 1, maximum: MaxPhysicalVolumes);
        var nodes = spec.Nodes.Count > 0
            ? spec.Nodes
            : Enumerable.Range(1, ParseCount(spec.NodeCount, ClusterSpec.DefaultNodeCount, "VClusterNodeCount", source, errors, minimum: 1))
                .Select(i => new NodeSpec { Name = $"node{i}" }).ToList();

        var resolved = new List<(NodeSpec Spec, Ipv4Address? Address, bool Master, int Mem, int Cpus, int Disk, int Pvs)>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // The root is mounted at a short path in the sandbox, wherever it lies on the host; what
        // remains is the node name in Ganeti's deepest socket path, <root>/nodes/<node>/var/run/
        // ganeti/socket/ganeti-wconfd, which a Unix socket address must hold in 107 bytes.
        var longestName = MaxSocketPath - (SandboxLayout.ClusterMount + "/nodes/" + "/var/run/ganeti/socket/ganeti-wconfd").Length;
        foreach (var node in nodes)
        {
            if (!DnsLabel().IsMatch(node.Name))
                errors.Add(source.Error(ErrorCodes.InvalidNodeName, $"node name '{node.Name}' is not a DNS label", "VClusterNode", node.Name));
            else if (node.Name.Length > longestName)
                errors.Add(source.Error(ErrorCodes.NodeNameTooLong,
                    $"node name '{node.Name}' is too long: its sockets would need {node.Name.Length - longestName + MaxSocketPath} bytes and Unix socket paths hold {MaxSocketPath}; choose a name of at most {longestName} characters",
                    "VClusterNode", node.Name));
            else if (!names.Add(node.Name))
                errors.Add(source.Error(ErrorCodes.DuplicateNodeName, $"node '{node.Name}' is declared twice", "VClusterNode", node.Name));
            else if (string.Equals(node.Name, spec.Name, StringComparison.OrdinalIgnoreCase))
                errors.Add(source.Error(ErrorCodes.DuplicateNodeName, $"node '{node.Name}' has the cluster's name; the cluster name needs its own address", "VClusterNode", node.Name));

            Ipv4Address? address = null;
            if (!string.IsNullOrWhiteSpace(node.Address))
            {
                if (!Ipv4Address.TryParse(node.Address, out var parsed))
                    errors.Add(source.Error(ErrorCodes.AddressOutsideNetwork, $"node '{node.Name}': '{node.Address}' is not an IPv4 address", "VClusterNode", node.Name));
                else if (network is not null && !network.ContainsHost(parsed))
                    errors.Add(source.Error(ErrorCodes.AddressOutsideNetwork, $"node '{node.Name}': address {parsed} is outside the network {network} (or is its network or broadcast address)", "VClusterNode", node.Name));
                else
                    address = parsed;
            }

            var isMaster = false;
            if (!string.IsNullOrWhiteSpace(node.Master) && !bool.TryParse(node.Master, out isMaster))
                errors.Add(source.Error(ErrorCodes.MasterCount, $"node '{node.Name}': Master='{node.Master}' is neither true nor false", "VClusterNode", node.Name));

            var pvs = physicalVolumes;
            if (!string.IsNullOrWhiteSpace(node.PhysicalVolumes))
            {
                if (volumeGroup is null)
                    errors.Add(source.Error(ErrorCodes.InvalidPhysicalVolumes,
                        $"node '{node.Name}': PhysicalVolumes='{node.PhysicalVolumes}', but the cluster has no LVM (VClusterLvm is false)", "VClusterNode", node.Name));
                else if (!int.TryParse(node.PhysicalVolumes.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out pvs) || pvs is < 1 or > MaxPhysicalVolumes)
                {
                    errors.Add(source.Error(ErrorCodes.InvalidPhysicalVolumes,
                        $"node '{node.Name}': PhysicalVolumes='{node.PhysicalVolumes}' is not a whole number from 1 to {MaxPhysicalVolumes}", "VClusterNode", node.Name));
                    pvs = physicalVolumes;
                }
            }
            resolved.Add((node, address, isMaster,
                ParseResource(node.MemoryMiB, DefaultMemoryMiB, node.Name, "MemoryMiB", source, errors),
                ParseResource(node.Cpus, DefaultCpus, node.Name, "Cpus", source, errors),
                ParseResource(node.DiskGiB, DefaultDiskGiB, node.Name, "DiskGiB", source, errors), pvs));
        }

        // Ganeti refuses a volume group smaller than MIN_VG_SIZE at init and in every verify
        // (lib/bootstrap.py, lib/cmdlib/cluster/verify.py).
        if (volumeGroup is not null)
            foreach (var n in resolved.Where(n => LvmGeometry.UsableMiB(n.Disk, n.Pvs) < LvmGeometry.GanetiMinimumMiB))
                errors.Add(source.Error(ErrorCodes.InvalidPhysicalVolumes,
                    $"node '{n.Spec.Name}': DiskGiB={n.Disk} gives its volume group {LvmGeometry.UsableMiB(n.Disk, n.Pvs):N0} MiB, and Ganeti needs at least {LvmGeometry.GanetiMinimumMiB:N0} MiB (MIN_VG_SIZE): declare DiskGiB of at least {LvmGeometry.MinimumDiskGiB(n.Pvs)}, or set VClusterLvm to false",
                    "VClusterNode", n.Spec.Name));

        var masters = resolved.Count(n => n.Master);
        if (masters > 1)
            errors.Add(source.Error(ErrorCodes.MasterCount,
                $"{masters} nodes are marked Master=\"true\" ({string.Join(", ", resolved.Where(n => n.Master).Select(n => n.Spec.Name))}); a cluster has exactly one master",
                "VClusterNode", resolved.Where(n => n.Master).Skip(1).First().Spec.Name));
        else if (masters == 0 && nodes.Any(n => n.Master is not null) && nodes.All(n => n.Master is not null))
            errors.Add(source.Error(ErrorCodes.MasterCount, "every node is marked Master=\"false\"; a cluster has exactly one master", "VClusterNode"));

        var seenAddresses = new Dictionary<Ipv4Address, string>();
        foreach (var n in resolved.Where(n => n.Address is not null))
        {
            if (seenAddresses.TryGetValue(n.Address!.Value, out var other))
                errors.Add(source.Error(ErrorCodes.DuplicateAddress, $"nodes '{other}' and '{n.Spec.Name}' both have address {n.Address}", "VClusterNode", n.Spec.Name));
            else
                seenAddresses[n.Address.Value] = n.Spec.Name;
        }

        // Declared instances: every name is the cluster's, a node's or a spare name's neighbour in one DNS.
        var capacities = resolved.Select(n => new InstancePlanner.Capacity(n.Spec.Name.ToLowerInvariant(), n.Mem, n.Cpus, n.Disk, n.Pvs)).ToList();
        var taken = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase) { spec.Name ?? "" };
        taken.UnionWith(Enumerable.Range(1, instanceCount).Select(i => $"inst{i}"));
        var declared = InstancePlanner.Expand(spec.Instances, capacities, taken, DiskTemplates.For(volumeGroup is not null), source, errors);
        if (errors.Count == 0)
            InstancePlanner.CheckFit(declared, capacities, source, errors);

        if (network is not null)
        {
            var needed = 1L + resolved.Count + instanceCount + declared.Count;
            if (needed > network.HostCount)
                errors.Add(source.Error(ErrorCodes.NetworkTooSmall,
                    $"network {network} has {network.HostCount} host addresses but the cluster needs {needed} (1 cluster IP, {resolved.Count} nodes, {instanceCount + declared.Count} instances); use a shorter prefix, e.g. 198.18.0.0/15",
                    "VClusterNetwork"));
            else if (seenAddresses.ContainsKey(network.FirstHost))
                errors.Add(source.Error(ErrorCodes.DuplicateAddress,
                    $"node '{seenAddresses[network.FirstHost]}' has address {network.FirstHost}, which is the cluster IP (the network's first host)", "VClusterNode", seenAddresses[network.FirstHost]));
        }

        if (errors.Count > 0)
            throw new VClusterException(errors);

        // Address plan: the cluster IP is the first host; nodes without an address take the
        // next free ones in declaration order; spare instance addresses follow, then declared
        // instances' (so declaring instances never moves a spare name's address).
        var used = new HashSet<Ipv4Address>(seenAddresses.Keys) { network!.FirstHost };
        var next = network.FirstHost;
        Ipv4Address NextFree()
        {
            do next = next.Add(1); while (used.Contains(next));
            used.Add(next);
            return next;
        }

        var masterIndex = Math.Max(0, resolved.FindIndex(n => n.Master));
        var nodesDirectory = Path.Combine(root, "nodes");
        var sandboxNodesDirectory = Path.Combine(SandboxLayout.ClusterMount, "nodes");
        var nodePlans = resolved.Select((n, i) => new NodePlan
        {
            Name = n.Spec.Name.ToLowerInvariant(),
            Address = n.Address ?? NextFree(),
            IsMaster = i == masterIndex,
            Root = Path.Combine(nodesDirectory, n.Spec.Name.ToLowerInvariant()),
            SandboxRoot = Path.Combine(sandboxNodesDirectory, n.Spec.Name.ToLowerInvariant()),
            MemoryMiB = n.Mem,
            Cpus = n.Cpus,
            DiskGiB = n.Disk,
            PhysicalVolumes = n.Pvs,
        }).ToList();
        var instances = Enumerable.Range(1, instanceCount)
            .Select(i => new InstancePlan($"inst{i}", NextFree())).ToList();
        var declaredInstances = declared.Select(d => new DeclaredInstance(d.Name, NextFree(), d.Item, d.Template, d.MemoryMiB, d.Cpus,
            d.DiskGiB, d.Node, d.Secondary, d.Running, d.Os)).ToList();

        return new ClusterPlan
        {
            Name = spec.Name!.ToLowerInvariant(),
            Root = root,
            Network = network,
            ClusterAddress = network.FirstHost,
            Nodes = nodePlans,
            Instances = instances,
            DeclaredInstances = declaredInstances,
            EnableMetad = spec.EnableMetad,
            Monitoring = spec.Monitoring,
            RpcConnectTimeout = rpcConnectTimeout,
            WatcherInterval = watcherInterval ?? ClusterPlan.WatcherIntervalFor(nodes.Count),
            DurableWrites = spec.DurableWrites,
            VolumeGroup = volumeGroup,
        };
    }

    private static string? PlanVolumeGroup(string? text, ProjectSourceLocator source, List<VClusterDiagnostic> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
            return DiskTemplates.DefaultVolumeGroup;
        var name = text.Trim();
        // The name is a folder under /dev in every node (and of the node's tree): LVM's rules, and
        // none of the names LVM reserves.
        if (LvmName().IsMatch(name) && name is not ("." or "..") && !name.StartsWith("snapshot", StringComparison.Ordinal)
            && !name.StartsWith("pvmove", StringComparison.Ordinal) && !name.Contains("_mlog", StringComparison.Ordinal)
            && !name.Contains("_mimage", StringComparison.Ordinal) && name is not ("mapper" or "pts" or "shm" or "fd"))
            return name;
        errors.Add(source.Error(ErrorCodes.InvalidVolumeGroup,
            $"VClusterVolumeGroup '{text}' is not a volume group name LVM accepts (letters, digits and + _ . -, not starting with '-', at most 127 characters, not '.', '..' or a name /dev already has)",
            "VClusterVolumeGroup"));
        return null;
    }

    private static int ParseCount(string? text, int fallback, string property, ProjectSourceLocator source,
        List<VClusterDiagnostic> errors, int minimum = 0, int maximum = 1_000_000)
    {
        if (string.IsNullOrWhiteSpace(text))
            return fallback;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
            return value;
        errors.Add(source.Error(ErrorCodes.InvalidCount, $"{property} '{text}' is not a whole number from {minimum} to {maximum}", property));
        return fallback;
    }

    private static int ParseResource(string? text, int fallback, string node, string metadata, ProjectSourceLocator source,
        List<VClusterDiagnostic> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
            return fallback;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
            return value;
        errors.Add(source.Error(ErrorCodes.InvalidResource, $"node '{node}': {metadata}='{text}' is not a positive whole number", "VClusterNode", node));
        return fallback;
    }
}
