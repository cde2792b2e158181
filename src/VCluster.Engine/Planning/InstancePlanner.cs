using System.Globalization;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;

namespace VCluster.Engine.Planning;

/// <summary>
/// Validates the declared instances (<c>VClusterInstance</c> items) against the nodes: names,
/// templates, numbers, pinned nodes, and whether they can fit at all. Addresses are the
/// planner's (<see cref="ClusterPlanner"/>): they follow the spare instance names.
/// </summary>
public static class InstancePlanner
{
    /// <summary>Ganeti's default memory and vCPUs of an instance (BEC_DEFAULTS), which a cluster keeps unless changed.</summary>
    public const int GanetiDefaultMemoryMiB = 128;
    public const int GanetiDefaultCpus = 1;

    /// <summary>The cluster's vCPUs per physical CPU (gnt-cluster init --ipolicy-vcpu-ratio), which hail honours.</summary>
    public const int VcpuRatio = 32;

    /// <summary>The disk of a template with disks where the item names none.</summary>
    public const int DefaultDiskGiB = 1;

    /// <summary>The cluster's OS definition (templates/cluster/os), with its one variant.</summary>
    public const string DefaultOs = "vcluster+default";

    public const int MaxCount = 1_000_000;

    /// <summary>An instance before its address is known: the item it comes from and its shape.</summary>
    public sealed record Pending(string Name, string Item, string Template, int? MemoryMiB, int? Cpus, int DiskGiB,
        string? Node, string? Secondary, bool Running, string Os)
    {
        public int Memory => MemoryMiB ?? GanetiDefaultMemoryMiB;
        public int VirtualCpus => Cpus ?? GanetiDefaultCpus;
    }

    /// <summary>A node as the instances see it: its name and declared size.</summary>
    public sealed record Capacity(string Name, int MemoryMiB, int Cpus, int DiskGiB, int PhysicalVolumes = 1)
    {
        /// <summary>What the node's volume group holds, in MiB (<see cref="LvmGeometry"/>).</summary>
        public long VolumeGroupMiB => LvmGeometry.UsableMiB(DiskGiB, PhysicalVolumes);
    }

    /// <summary>
    /// Every instance the items declare, in declaration order; problems go to
    /// <paramref name="errors"/> with the item's line. <paramref name="takenNames"/> holds the
    /// cluster's, the nodes' and the spare instances' names.
    /// </summary>
    public static List<Pending> Expand(IReadOnlyList<InstanceSpec> items, IReadOnlyList<Capacity> nodes, ISet<string> takenNames,
        IReadOnlyList<string> enabledTemplates, ProjectSourceLocator source, List<VClusterDiagnostic> errors)
    {
        var nodeNames = nodes.Select(n => n.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var pinnedCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<Pending>();
        foreach (var item in items)
        {
            VClusterDiagnostic Error(string code, string message) => source.Error(code, $"instance '{item.Name}': {message}", "VClusterInstance", item.Name);
            var before = errors.Count;
            int? count = null;
            if (!string.IsNullOrWhiteSpace(item.Count))
            {
                if (int.TryParse(item.Count.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxCount)
                    count = n;
                else
                    errors.Add(Error(ErrorCodes.InvalidInstance, $"Count='{item.Count}' is not a whole number from 1 to {MaxCount}"));
            }
            var longest = count is { } c ? item.Name + c.ToString(CultureInfo.InvariantCulture) : item.Name;
            if (!ClusterPlanner.IsDnsLabel(item.Name) || !ClusterPlanner.IsDnsLabel(longest))
                errors.Add(Error(ErrorCodes.InvalidInstance, count is null
                    ? "the name is not a DNS label (letters, digits and '-', 1 to 63 characters)"
                    : $"the names {item.Name}1 to {longest} are not all DNS labels (letters, digits and '-', 1 to 63 characters)"));

            var template = string.IsNullOrWhiteSpace(item.Template) ? DiskTemplates.Diskless : item.Template.Trim().ToLowerInvariant();
            if (!enabledTemplates.Contains(template))
                errors.Add(Error(ErrorCodes.UnsupportedDiskTemplate, template == DiskTemplates.Plain
                    ? "disk template 'plain' needs LVM, which the cluster has switched off (VClusterLvm is false)"
                    : $"disk template '{item.Template}' is not one the cluster has ({string.Join(", ", enabledTemplates)})"));
            var memory = Positive(item.MemoryMiB, "MemoryMiB");
            var cpus = Positive(item.Cpus, "Cpus");
            var disk = Positive(item.DiskGiB, "DiskGiB");
            if (disk is not null && !DiskTemplates.HasDisks(template))
                errors.Add(Error(ErrorCodes.UnsupportedDiskTemplate, $"DiskGiB='{item.DiskGiB}' on a {template} instance, which has no disks"));

            var pinnedTo = Nodes(item.Node);
            var secondary = Node(item.Secondary, "Secondary");
            if (secondary is not null && !DiskTemplates.HasSecondary(template))
                errors.Add(Error(ErrorCodes.UnsupportedDiskTemplate, $"Secondary='{item.Secondary}': a {template} instance has no secondary node"));

            var running = true;
            if (!string.IsNullOrWhiteSpace(item.State))
            {
                if (item.State.Trim().Equals("down", StringComparison.OrdinalIgnoreCase))
                    running = false;
                else if (!item.State.Trim().Equals("up", StringComparison.OrdinalIgnoreCase))
                    errors.Add(Error(ErrorCodes.InvalidInstance, $"State='{item.State}' is neither up nor down"));
            }
            var os = string.IsNullOrWhiteSpace(item.Os) ? DefaultOs : item.Os.Trim();
            if (os.Any(ch => char.IsWhiteSpace(ch) || ch is '"' or '\''))
                errors.Add(Error(ErrorCodes.InvalidInstance, $"Os='{item.Os}' is not an OS name"));
            if (errors.Count > before)
                continue;

            var names = count is { } k
                ? Enumerable.Range(1, k).Select(i => item.Name.ToLowerInvariant() + i.ToString(CultureInfo.InvariantCulture))
                : [item.Name.ToLowerInvariant()];
            foreach (var name in names)
            {
                if (takenNames.Contains(name))
                {
                    errors.Add(Error(ErrorCodes.DuplicateInstanceName, $"'{name}' is already the name of the cluster, a node or a spare instance name (VClusterInstanceCount)"));
                    break;
                }
                if (!owners.TryAdd(name, item.Name))
                {
                    errors.Add(Error(ErrorCodes.DuplicateInstanceName, owners[name] == item.Name
                        ? $"'{name}' is declared twice" : $"'{name}' is also declared by instance item '{owners[name]}'"));
                    break;
                }
                result.Add(new Pending(name, item.Name, template, memory, cpus,
                    DiskTemplates.HasDisks(template) ? disk ?? DefaultDiskGiB : 0, Spread(pinnedTo), secondary, running, os));
            }

            int? Positive(string? text, string metadata)
            {
                if (string.IsNullOrWhiteSpace(text))
                    return null;
                if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0)
                    return value;
                errors.Add(Error(ErrorCodes.InvalidInstance, $"{metadata}='{text}' is not a positive whole number"));
                return null;
            }

            // Node: one node, several ("node1;node2"), or "*" for all: each instance goes to the
            // listed node with the fewest instances pinned so far, the first such in the list.
            List<string>? Nodes(string? text)
            {
                if (string.IsNullOrWhiteSpace(text))
                    return null;
                if (text.Trim() == "*")
                    return nodes.Select(n => n.Name).ToList();
                var names = text.Split([';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(n => Node(n, "Node")).ToList();
                return names.All(n => n is not null) ? names.Distinct(StringComparer.Ordinal).Select(n => n!).ToList() : null;
            }

            string? Node(string? text, string metadata)
            {
                if (string.IsNullOrWhiteSpace(text))
                    return null;
                if (nodeNames.Contains(text.Trim()))
                    return text.Trim().ToLowerInvariant();
                errors.Add(Error(ErrorCodes.UnknownInstanceNode,
                    $"{metadata}='{text}' is not a node of the cluster ({string.Join(", ", nodes.Take(10).Select(n => n.Name))}{(nodes.Count > 10 ? ", ..." : "")})"));
                return null;
            }
        }
        return result;

        string? Spread(List<string>? candidates)
        {
            if (candidates is null)
                return null;
            var chosen = candidates.MinBy(n => pinnedCounts.GetValueOrDefault(n))!;
            pinnedCounts[chosen] = pinnedCounts.GetValueOrDefault(chosen) + 1;
            return chosen;
        }
    }

    /// <summary>
    /// What cannot fit however Ganeti places it: a node's pinned instances beyond its size (the
    /// memory of those that run: Ganeti checks it when it starts one; the disk of all), and the
    /// placed ones beyond what the nodes have left after the pinned ones, in all or for the
    /// largest instance. Each error says which instances and by how much.
    /// </summary>
    public static void CheckFit(IReadOnlyList<Pending> instances, IReadOnlyList<Capacity> nodes, ProjectSourceLocator source, List<VClusterDiagnostic> errors)
    {
        var freeMemory = nodes.ToDictionary(n => n.Name, n => (long)n.MemoryMiB, StringComparer.OrdinalIgnoreCase);
        var freeDisk = nodes.ToDictionary(n => n.Name, n => (long)n.DiskGiB, StringComparer.OrdinalIgnoreCase);
        var freeVolumeGroup = nodes.ToDictionary(n => n.Name, n => n.VolumeGroupMiB, StringComparer.OrdinalIgnoreCase);
        var freeCpus = nodes.ToDictionary(n => n.Name, n => (long)n.Cpus * VcpuRatio, StringComparer.OrdinalIgnoreCase);
        foreach (var group in instances.Where(i => i.Node is not null).GroupBy(i => i.Node!, StringComparer.OrdinalIgnoreCase))
        {
            var node = nodes.First(n => n.Name.Equals(group.Key, StringComparison.OrdinalIgnoreCase));
            var running = group.Where(i => i.Running).ToList();
            var onDisk = group.Where(i => i.Template == DiskTemplates.File).ToList();
            var onVolumeGroup = group.Where(i => i.Template == DiskTemplates.Plain).ToList();
            Over(running.Sum(i => (long)i.Memory), node.MemoryMiB, "MiB of memory", "running pinned instances", running, node.Name);
            Over(onDisk.Sum(i => (long)i.DiskGiB), node.DiskGiB, "GiB of file storage", "pinned file instances", onDisk, node.Name);
            Over(onVolumeGroup.Sum(i => i.DiskGiB * 1024L), node.VolumeGroupMiB, "MiB of its volume group", "pinned plain instances", onVolumeGroup, node.Name);
            freeMemory[node.Name] -= running.Sum(i => (long)i.Memory);
            freeDisk[node.Name] -= onDisk.Sum(i => (long)i.DiskGiB);
            freeVolumeGroup[node.Name] -= onVolumeGroup.Sum(i => i.DiskGiB * 1024L);
            freeCpus[node.Name] -= group.Sum(i => (long)i.VirtualCpus);
        }

        var placed = instances.Where(i => i.Node is null).ToList();
        if (placed.Count == 0)
            return;
        PlacedOver(placed.Where(i => i.Running).ToList(), i => i.Memory, freeMemory, "MiB of memory");
        PlacedOver(placed.Where(i => i.Template == DiskTemplates.File).ToList(), i => i.DiskGiB, freeDisk, "GiB of file storage");
        PlacedOver(placed.Where(i => i.Template == DiskTemplates.Plain).ToList(), i => i.DiskGiB * 1024, freeVolumeGroup, "MiB of volume group");
        PlacedOver(placed, i => i.VirtualCpus, freeCpus, $"virtual CPUs ({VcpuRatio} per CPU, the cluster's policy)");

        void Over(long need, long has, string what, string whose, List<Pending> those, string node)
        {
            if (need > has)
                errors.Add(source.Error(ErrorCodes.InstancesDoNotFit,
                    $"node '{node}': its {whose} need {need:N0} {what} ({Describe(those)}) and the node has {has:N0}: {need - has:N0} too much",
                    "VClusterInstance", those[0].Item));
        }

        void PlacedOver(List<Pending> those, Func<Pending, int> size, Dictionary<string, long> free, string what)
        {
            if (those.Count == 0)
                return;
            var need = those.Sum(i => (long)size(i));
            var has = free.Values.Sum(v => Math.Max(0, v));
            var largest = free.Values.DefaultIfEmpty(0).Max();
            var biggest = those.MaxBy(size)!;
            if (need > has)
                errors.Add(source.Error(ErrorCodes.InstancesDoNotFit,
                    $"the instances Ganeti's allocator is to place need {need:N0} {what} ({Describe(those)}) and the nodes have {has:N0} left after the pinned ones: {need - has:N0} too much",
                    "VClusterInstance", those[0].Item));
            else if (size(biggest) > largest)
                errors.Add(source.Error(ErrorCodes.InstancesDoNotFit,
                    $"instance '{biggest.Name}' needs {size(biggest):N0} {what} and the most any node has left is {largest:N0}: {size(biggest) - largest:N0} too much",
                    "VClusterInstance", biggest.Item));
        }
    }

    /// <summary>"web1 to web2000 of item web, db1" for an error message.</summary>
    private static string Describe(List<Pending> instances) =>
        string.Join(", ", instances.GroupBy(i => i.Item).Select(g => g.Count() == 1 ? g.First().Name : $"{g.First().Name} to {g.Last().Name}"));
}
