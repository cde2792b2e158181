using VCluster.Tool.Runtime.Resources;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Engine.Planning;
using VCluster.Tool.Runtime.Instances;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime.Phases;

/// <summary>
/// A new cluster is initialised on its master (<c>gnt-cluster init</c>); an existing one is
/// resumed: the members' own daemons first (the master's wconfd asks the other nodes' noded
/// to vote), then the master's, then the cluster IP on the master.
/// </summary>
public sealed class InitOrResumePhase : IUpPhase
{
    public string Name => "init or resume";

    public void Run(UpContext up, CancellationToken cancellation)
    {
        var roles = up.Session.Roles();
        up.Members = roles.Members;
        up.Master = up.Manifest.Node(roles.Master);
        if (roles.Members.Count == 0)
        {
            EnsureHostKey(up, up.Master, cancellation);
            up.Session.Step($"{up.Master.Name}: gnt-cluster init {up.Manifest.Name}");
            up.Nodes.RunOnNode(up.Master, InitCommand(up.Manifest), "gnt-cluster init", TimeSpan.FromMinutes(5), cancellation);
            return;
        }
        var others = up.Manifest.Nodes.Where(n => n.Name != up.Master.Name && roles.Members.Contains(n.Name)).ToList();
        up.Nodes.ForEachNode(others, "starting node daemons",
            n => up.Nodes.StartDaemons(n, n.Daemons.Where(d => d.Role == DaemonRole.AllNodes).Select(d => d.Name), cancellation), cancellation);
        var masterIp = new MasterAddress(up.Session, up.Running, up.Master);
        var nodedLog = masterIp.NodedLogLength();
        var started = up.Nodes.StartDaemons(up.Master, roles.DaemonsOf(up.Master).Select(d => d.Name), cancellation);
        up.Session.Step($"{up.Master.Name}: master daemons running");
        masterIp.Ensure(up.Nodes, started.Contains("ganeti-luxid") ? nodedLog : null, cancellation);
    }

    public static List<string> InitCommand(ClusterManifest manifest) =>
    [
        "gnt-cluster", "init",
        "--no-etc-hosts", "--no-ssh-init", "--master-netdev=lo",
        $"--enabled-hypervisors={InstanceDefinitions.Hypervisor}",
        $"--enabled-disk-templates={string.Join(',', manifest.DiskTemplates)}",
        // Every node's volume group, kept by the user-space LVM (templates/cluster/lvm.sbn).
        .. manifest.Lvm is { } lvm ? [$"--vg-name={lvm.VolumeGroup}"] : Array.Empty<string>(),
        // The same path on every node names each node's own disk (SandboxLayout).
        $"--file-storage-dir={manifest.Sandbox.FileStorageDir}",
        $"--shared-file-storage-dir={manifest.Sandbox.SharedFileStorageDir}",
        // The bridge exists in the sandbox's network namespace, whose sysfs the nodes see.
        $"--nic-parameters=mode=bridged,link={manifest.Sandbox.Bridge}",
        // Instances without NICs or disks, or with small sparse disks, are the common test case.
        "--specs-nic-count=min=0", "--specs-disk-count=min=0", "--specs-disk-size=min=1",
        $"--ipolicy-vcpu-ratio={InstancePlanner.VcpuRatio}",
        manifest.Name,
    ];

    /// <summary>
    /// <c>gnt-cluster init</c> reads the master's SSH host key (for the cluster's known_hosts).
    /// The other nodes need none of their own: joining copies the master's host keys onto the
    /// new node (prepare-node-join), as on a real cluster.
    /// </summary>
    internal static void EnsureHostKey(UpContext up, ManifestNode node, CancellationToken cancellation)
    {
        var key = Path.Combine(node.Root, "etc/ssh/ssh_host_rsa_key");
        if (File.Exists(key + ".pub"))
            return;
        up.Session.Step($"{node.Name}: creating its SSH host key");
        var result = up.Session.Host.Run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", $"root@{node.Name}", "-f", key],
            new RunOptions(TimeSpan.FromMinutes(1)), cancellation);
        if (!result.Succeeded)
            throw NodeControl.Failure(node.Name, "ssh-keygen", result.Tail(3));
    }
}
