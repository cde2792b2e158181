using System.Text.Json.Nodes;
using VCluster.Engine.Manifest;

namespace VCluster.Engine.Ganeti;

/// <summary>
/// Declared instances as Ganeti's <c>gnt-instance batch-create</c> takes them: a list of
/// OpInstanceCreate fields per instance (its man page's format). Both ways of populating a
/// cluster start from these lists, so both create the very same opcodes: the jobs way hands
/// them to batch-create, the bulk way (populate.py) builds the opcodes with batch-create's own
/// code. Pinned instances name their primary node; the others are placed by
/// <see cref="Allocator"/>, in one multi-allocation request as batch-create's <c>-I</c> makes.
/// </summary>
public static class InstanceDefinitions
{
    /// <summary>Ganeti's allocator, which places instances by the nodes' declared sizes.</summary>
    public const string Allocator = "hail";

    /// <summary>The cluster's one hypervisor (gnt-cluster init --enabled-hypervisors), which runs no virtual machine.</summary>
    public const string Hypervisor = "fake";

    public static JsonArray Pinned(IEnumerable<ManifestDeclaredInstance> instances) =>
        new([.. instances.Where(i => i.Node is not null).Select(For)]);

    public static JsonArray Placed(IEnumerable<ManifestDeclaredInstance> instances) =>
        new([.. instances.Where(i => i.Node is null).Select(For)]);

    /// <summary>
    /// One instance: what <c>gnt-instance add</c> would submit for it. Its one NIC has the
    /// instance's address from the cluster's DNS (as <c>--net 0:ip=ADDRESS</c>), on the
    /// cluster's default link; Ganeti's name and IP checks stay on, as by default.
    /// </summary>
    public static JsonNode? For(ManifestDeclaredInstance instance)
    {
        var definition = new JsonObject
        {
            ["mode"] = "create",
            ["instance_name"] = instance.Name,
            ["disk_template"] = instance.Template,
            ["disks"] = new JsonArray([.. Enumerable.Range(0, instance.DiskGiB > 0 ? 1 : 0).Select(_ => (JsonNode?)new JsonObject { ["size"] = instance.DiskGiB * 1024 })]),
            ["nics"] = new JsonArray(new JsonObject { ["ip"] = instance.Address }),
            ["os_type"] = instance.Os,
            // batch-create's allocator request needs it (the opcode fills in the cluster's only later).
            ["hypervisor"] = Hypervisor,
            ["start"] = instance.State == ManifestDeclaredInstance.Up,
        };
        var beparams = new JsonObject();
        if (instance.MemoryMiB is { } memory)
        {
            beparams["maxmem"] = memory;
            beparams["minmem"] = memory;
        }
        if (instance.Cpus is { } cpus)
            beparams["vcpus"] = cpus;
        if (beparams.Count > 0)
            definition["beparams"] = beparams;
        if (instance.Node is not null)
            definition["pnode"] = instance.Node;
        if (instance.Secondary is not null)
            definition["snode"] = instance.Secondary;
        return definition;
    }
}
