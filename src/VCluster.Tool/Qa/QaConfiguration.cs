using System.Text.Json.Nodes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Qa;

/// <summary>
/// The configuration Ganeti's QA suite reads (the form of qa/qa-sample.json), written for a
/// running virtual cluster: its nodes and reserved instance names, what it was initialised
/// with (the <c>gnt-cluster init</c> command line of <c>up</c>: hypervisor, disk templates,
/// volume group, storage folders, NIC parameters, the rest as QA's "cluster-init-args", so that
/// QA's own init in <c>qa --own-cluster</c> makes the same cluster), the noop OS, every test
/// switch by the plan, and the virtual-cluster keys that make QA reach every node through its
/// cmd wrapper.
/// </summary>
public static class QaConfiguration
{
    /// <summary>Reserved instance names QA takes besides its instances: the rename targets of cluster and burnin.</summary>
    private const int SpareNames = 2;

    /// <summary>The fewest instance names QA's instance tests use at once.</summary>
    public const int MinimumInstances = 4;

    public static JsonObject Build(ClusterManifest manifest, QaPlan plan, IReadOnlyList<string> initCommand)
    {
        if (manifest.Instances.Count < MinimumInstances + SpareNames)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InstanceNamesExhausted,
                $"Ganeti's QA needs {MinimumInstances + SpareNames} reserved instance names ({MinimumInstances} for its instances, one to rename the cluster to, one for burnin's rename); " +
                $"cluster '{manifest.Name}' reserves {manifest.Instances.Count}: raise VClusterInstanceCount"));
        var names = manifest.Instances.Select(i => i.Name).ToList();
        var (instances, spare) = (names.Take(names.Count - SpareNames).ToList(), names.Skip(names.Count - SpareNames).ToList());
        var master = manifest.Nodes.OrderByDescending(n => n.Master).ToList();
        var cluster = plan.Cluster;
        var init = InitKeys(initCommand, manifest.Name);
        // As Ganeti's sample: every switch QA has that nobody names runs. A subset runs only
        // what it names. Either way every switch of the policy is named.
        var tests = new JsonObject { ["default"] = !plan.Subset };
        foreach (var test in QaPolicy.Switches)
            tests[test.Name] = plan.Runs(test.Name);
        var config = new JsonObject
        {
            ["name"] = manifest.Name,
            ["rename"] = spare[0],
            ["enabled-hypervisors"] = init.Hypervisors,
            ["hypervisor-parameters"] = new JsonObject(),
            ["backend-parameters"] = "",
            ["os-parameters"] = new JsonObject(),
            ["os-hvp"] = new JsonObject(),
            ["primary_ip_version"] = 4,
            ["vg-name"] = cluster.VolumeGroup,
            ["enabled-disk-templates"] = Strings(cluster.DiskTemplates),
            ["convert-disk-templates"] = Strings(cluster.DiskTemplates),
            ["default-file-storage-dir"] = init.FileStorageDir ?? manifest.Sandbox.FileStorageDir,
            ["default-shared-file-storage-dir"] = init.SharedFileStorageDir ?? manifest.Sandbox.SharedFileStorageDir,
            ["master-netdev"] = init.MasterNetdev,
            ["default-nicparams"] = init.NicParameters,
            ["cluster-init-args"] = Strings(init.Rest),
            ["os"] = "noop",
            ["maxmem"] = "256M",
            ["minmem"] = "128M",
            // Spindles matter only with exclusive storage, where QA requires them: each disk on one physical volume of its own.
            ["disks"] = new JsonArray(
                new JsonObject { ["size"] = "128M", ["spindles"] = 1, ["name"] = "disk0", ["growth"] = "32M", ["spindles-growth"] = 0 },
                new JsonObject { ["size"] = "64M", ["spindles"] = 1, ["name"] = "disk1", ["growth"] = "32M", ["spindles-growth"] = 0 }),
            // Ganeti's own SSH setup stays off (up's init passes --no-ssh-init; QA then adds it too).
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
        if (cluster.OwnCluster)
        {
            // QA's init first makes an RSA key in this folder on the master and copies it to
            // every node (its default, DSA in /root/.ssh, is neither OpenSSH's nor the node's
            // home); the sandbox's scp and ssh put it in each node's own home.
            config["ssh_key_type"] = "rsa";
            config["ssh_dir"] = Path.Combine(master[0].Environment.GetValueOrDefault("HOME", Path.Combine(manifest.SandboxRoot, "nodes", master[0].Name, "root")), ".ssh") + "/";
        }
        return config;
    }

    /// <summary>The keys QA builds its <c>gnt-cluster init</c> from (qa_cluster.TestClusterInit), read from up's command line.</summary>
    public sealed record InitArguments(string Hypervisors, string? FileStorageDir, string? SharedFileStorageDir, string? MasterNetdev, JsonObject? NicParameters, List<string> Rest);

    /// <summary>
    /// Splits up's <c>gnt-cluster init</c> command line into QA's keys: those QA turns into
    /// options itself, and everything else as "cluster-init-args", which QA appends as they
    /// are. The disk templates and volume group come from the cluster (<see cref="QaCluster"/>),
    /// --no-ssh-init from QA itself ("modify_ssh_setup": false), the name last.
    /// </summary>
    public static InitArguments InitKeys(IReadOnlyList<string> initCommand, string name)
    {
        string? hypervisors = null, file = null, shared = null, netdev = null;
        JsonObject? nic = null;
        var rest = new List<string>();
        // "gnt-cluster init OPTIONS... NAME"
        var options = initCommand.Count > 2 && initCommand[^1] == name ? initCommand.Skip(2).SkipLast(1) : initCommand.Skip(2);
        foreach (var argument in options)
        {
            var (option, value) = argument.IndexOf('=') is var at and > 0 ? (argument[..at], argument[(at + 1)..]) : (argument, null);
            switch (option)
            {
                case "--enabled-hypervisors": hypervisors = value; break;
                case "--file-storage-dir": file = value; break;
                case "--shared-file-storage-dir": shared = value; break;
                case "--master-netdev": netdev = value; break;
                case "--nic-parameters":
                    nic = new JsonObject();
                    foreach (var pair in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
                        nic[pair.Split('=', 2)[0]] = pair.Split('=', 2) is [_, var v] ? v : "";
                    break;
                case "--enabled-disk-templates" or "--vg-name" or "--no-ssh-init":
                    break;
                default:
                    rest.Add(argument);
                    break;
            }
        }
        return new InitArguments(hypervisors ?? "fake", file, shared, netdev, nic, rest);
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);
}
