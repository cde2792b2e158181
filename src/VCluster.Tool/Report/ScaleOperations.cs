namespace VCluster.Tool.Report;

/// <summary>What an operation needs of the cluster it runs on.</summary>
/// <param name="Spare">A free instance name for the instance the add, failover and remove operations share.</param>
/// <param name="Primary">The node that instance is added on; <paramref name="Other"/> is where it fails over to.</param>
public sealed record OperationContext(string Spare, string Primary, string Other, string RapiUrl, string RapiCredentials, int Run);

/// <summary>
/// One operation of the report: its name, what it does, the command (on the master, or on this
/// machine for RAPI), and the Ganeti limit it runs into: the timeout past which it fails or
/// loses nodes' answers (Ganeti 3.0's constants; docs/scaling.md).
/// </summary>
public sealed record ScaleOperation(string Name, string Description, string Limit, double LimitSeconds, bool OnMaster,
    Func<OperationContext, IReadOnlyList<string>> Command);

/// <summary>The fixed, documented set the report measures, in the order it runs them.</summary>
public static class ScaleOperations
{
    private const string NodeInfoLimit = "node_info RPC timeout (RPC_TMO_URGENT)";
    private const string InstancesInfoLimit = "all_instances_info RPC timeout (RPC_TMO_URGENT)";
    private const string VerifyLimit = "node_verify RPC timeout (RPC_TMO_NORMAL)";
    private const string JobLimit = "its jobs' RPC timeout (RPC_TMO_NORMAL)";
    private const string LuxiLimit = "LUXI read timeout (LUXI_DEF_RWTO)";

    public static readonly IReadOnlyList<ScaleOperation> All =
    [
        new("node-list", "gnt-node list, default fields (live: memory and disk of every node)", NodeInfoLimit, 60, true,
            _ => ["gnt-node", "list"]),
        new("instance-list", "gnt-instance list of live fields (status, memory and CPUs in use)", InstancesInfoLimit, 60, true,
            _ => ["gnt-instance", "list", "-o", "name,pnode,status,oper_ram,oper_vcpus"]),
        new("cluster-verify", "gnt-cluster verify", VerifyLimit, 900, true,
            _ => ["gnt-cluster", "verify"]),
        new("instance-add", "gnt-instance add of a sharedfile instance (64 MiB) on a chosen node", JobLimit, 900, true,
            c => ["gnt-instance", "add", "-t", "sharedfile", "--disk", "0:size=64M", "-o", "vcluster+default", "--no-name-check",
                  "--no-ip-check", "--no-nics", "-n", c.Primary, c.Spare]),
        new("instance-failover", "gnt-instance failover of that instance to another node", JobLimit, 900, true,
            c => ["gnt-instance", "failover", "-f", "-n", c.Other, c.Spare]),
        new("instance-remove", "gnt-instance remove of that instance", JobLimit, 900, true,
            c => ["gnt-instance", "remove", "-f", c.Spare]),
        new("cluster-modify", "gnt-cluster modify of a hypervisor parameter (a configuration change, distributed)", JobLimit, 900, true,
            c => ["gnt-cluster", "modify", "-H", $"fake:migration_mode={(c.Run % 2 == 0 ? "non-live" : "live")}"]),
        new("hbal", "hbal -L: HTools reads the cluster and plans", LuxiLimit, 180, true,
            _ => ["hbal", "-L"]),
        new("rapi-instances", "RAPI GET /2/instances?bulk=1 from this machine (curl)", LuxiLimit, 180, false,
            c => ["curl", "-sS", "-k", "--fail", "-o", "/dev/null", "-u", c.RapiCredentials, c.RapiUrl + "/2/instances?bulk=1"]),
        // Ganeti refuses a delay of 0 ("Duration must be greater than zero"): the least it takes.
        new("job-delay", "gnt-debug delay 0.001: a job's round trip through the queue", LuxiLimit, 180, true,
            _ => ["gnt-debug", "delay", "0.001"]),
    ];

    /// <summary>What the report leaves as it found: the hypervisor parameter cluster-modify changes.</summary>
    public static IReadOnlyList<string> Restore => ["gnt-cluster", "modify", "-H", "fake:migration_mode=live"];
}
