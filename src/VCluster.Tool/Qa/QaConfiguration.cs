using System.Text.Json.Nodes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Qa;

/// <summary>
/// The configuration Ganeti's QA suite reads (the form of qa/qa-sample.json), written for a
/// running virtual cluster: its nodes and reserved instance names, what a virtual cluster
/// supports (the fake hypervisor, the noop OS, diskless and file-based disks), and the
/// virtual-cluster keys that make QA reach every node through its cmd wrapper.
/// </summary>
public static class QaConfiguration
{
    /// <summary>Reserved instance names QA takes besides its instances: the rename targets of cluster and burnin.</summary>
    private const int SpareNames = 2;

    /// <summary>The fewest instance names QA's instance tests use at once.</summary>
    public const int MinimumInstances = 4;

    public static JsonObject Build(ClusterManifest manifest, IReadOnlyList<QaTest> policy, IReadOnlyCollection<string> selected)
    {
        if (manifest.Instances.Count < MinimumInstances + SpareNames)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InstanceNamesExhausted,
                $"Ganeti's QA needs {MinimumInstances + SpareNames} reserved instance names ({MinimumInstances} for its instances, one to rename the cluster to, one for burnin's rename); " +
                $"cluster '{manifest.Name}' reserves {manifest.Instances.Count}: raise VClusterInstanceCount"));
        var names = manifest.Instances.Select(i => i.Name).ToList();
        var (instances, spare) = (names.Take(names.Count - SpareNames).ToList(), names.Skip(names.Count - SpareNames).ToList());
        var master = manifest.Nodes.OrderByDescending(n => n.Master).ToList();
        var templates = manifest.DiskTemplates;
        var tests = new JsonObject { ["default"] = false };
        foreach (var test in policy)
            tests[test.Name] = test.Runs && selected.Contains(test.Name);
        return new JsonObject
        {
            ["name"] = manifest.Name,
            ["rename"] = spare[0],
            ["enabled-hypervisors"] = "fake",
            ["hypervisor-parameters"] = new JsonObject(),
            ["backend-parameters"] = "",
            ["os-parameters"] = new JsonObject(),
            ["os-hvp"] = new JsonObject(),
            ["primary_ip_version"] = 4,
            ["vg-name"] = null,
            ["enabled-disk-templates"] = new JsonArray([.. templates.Select(t => (JsonNode?)t)]),
            ["convert-disk-templates"] = new JsonArray([.. templates.Select(t => (JsonNode?)t)]),
            ["default-file-storage-dir"] = manifest.Sandbox.FileStorageDir,
            ["default-shared-file-storage-dir"] = manifest.Sandbox.SharedFileStorageDir,
            ["cluster-init-args"] = new JsonArray(),
            ["os"] = "noop",
            ["maxmem"] = "256M",
            ["minmem"] = "128M",
            ["disks"] = new JsonArray(
                new JsonObject { ["size"] = "128M", ["name"] = "disk0", ["growth"] = "32M" },
                new JsonObject { ["size"] = "64M", ["name"] = "disk1", ["growth"] = "32M" }),
            ["modify_ssh_setup"] = false,
            // With a secondary address, the ICMP ping tests have their targets.
            ["nodes"] = new JsonArray([.. master.Select(n => (JsonNode?)new JsonObject { ["primary"] = n.Name, ["secondary"] = n.Address })]),
            ["instances"] = new JsonArray([.. instances.Select(i => (JsonNode?)new JsonObject { ["name"] = i })]),
            ["groups"] = new JsonObject { ["group-with-nodes"] = "default", ["inexistent-groups"] = new JsonArray("group1", "group2", "group3") },
            ["networks"] = new JsonObject { ["inexistent-networks"] = new JsonArray("network1", "network2", "network3") },
            // QA then runs every node command as "ssh localhost <basedir>/<node>/cmd '<command>'".
            ["vcluster-master"] = "localhost",
            ["vcluster-basedir"] = Path.Combine(manifest.SandboxRoot, "nodes"),
            ["tests"] = tests,
            ["options"] = new JsonObject
            {
                ["burnin-instances"] = 2,
                ["burnin-disk-template"] = "file",
                ["burnin-in-parallel"] = false,
                ["burnin-check-instances"] = false,
                ["burnin-rename"] = spare[1],
                ["burnin-reboot"] = true,
                ["reboot-types"] = new JsonArray("soft", "hard", "full"),
                ["use-iallocators"] = false,
            },
        };
    }
}
