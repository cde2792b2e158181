namespace VCluster.Engine.Layout;

/// <summary>
/// The cluster root's own folders and files, besides the node trees: every path of them is
/// named here once, relative to the root (on the host, or <c>/mnt</c> in the sandbox), for the
/// generator, the tool, <c>destroy</c> and, through the template model, the templates.
/// </summary>
public static class ClusterRootLayout
{
    public const string StateDir = ".state";

    /// <summary>Generated: the sandbox's setup script, name maps, cron and RAPI relay.</summary>
    public const string SandboxDir = StateDir + "/sandbox";
    public const string SandboxSetup = SandboxDir + "/setup";
    public const string Group = SandboxDir + "/group";
    public const string Hosts = SandboxDir + "/hosts";
    public const string Watcher = SandboxDir + "/watcher";
    public const string RapiRelay = SandboxDir + "/rapi-relay";

    /// <summary>Generated: the Python the tool runs with Ganeti's library, the native parts, the entry points' one copy.</summary>
    public const string GanetiScripts = StateDir + "/ganeti";
    public const string NativeDir = StateDir + "/lib";
    public const string EntryPoints = StateDir + "/entry-points";

    /// <summary>What generation wrote (and, while it runs, is about to write).</summary>
    public const string GenerationRecord = StateDir + "/generated";
    public const string GenerationJournal = StateDir + "/generated.journal";

    /// <summary>generate --ganeti-source: the installation built from the tree, and its logs.</summary>
    public const string GanetiBuild = StateDir + "/ganeti-build";

    /// <summary>The Ganeti probe's result where the user has no cache folder.</summary>
    public const string CacheDir = StateDir + "/cache";

    /// <summary>The tool's run-time state of a running cluster, and the logs of what it starts.</summary>
    public const string RunDir = StateDir + "/run";
    public const string Processes = RunDir + "/processes.json";
    public const string SandboxPid = RunDir + "/sandbox.pid";
    public const string Lock = RunDir + "/lock";
    public const string StoppedNodes = RunDir + "/stopped-nodes";

    /// <summary>A file a node whose clock is skewed (fault skew): the variables that put libfaketime in its processes.</summary>
    public const string ClockSkewDir = RunDir + "/clock-skew";

    /// <summary>The program that holds delayed packets (fault delay), where the sandbox sees it.</summary>
    public const string PacketDelayProgram = RunDir + "/vcluster-packet-delay";

    /// <summary>The machine's /usr, bound here by the sandbox when a node may run another release's (GanetiVersions).</summary>
    public const string HostRoot = RunDir + "/host-root";

    /// <summary>How many passes over the nodes the cluster's cron has finished since it started (what a test waits for instead of a time).</summary>
    public const string WatcherPasses = RunDir + "/watcher-passes";
    public const string InstanceDefinitions = RunDir + "/instances";

    /// <summary>The RAPI forwarder's last port, taken again while free; QA's working folder.</summary>
    public const string RapiPort = StateDir + "/rapi-port";
    public const string Qa = StateDir + "/qa";

    public static string Log(string name) => $"{RunDir}/{name}.log";

    /// <summary>What <c>destroy</c> keeps besides what generation wrote: the record, the probe's cache, the sandbox's files and the tool's run folder (the lock held right now).</summary>
    public static readonly IReadOnlyList<string> KeptByDestroy = [GenerationRecord, CacheDir, RunDir, SandboxDir];

    /// <summary><paramref name="relative"/> under <paramref name="root"/>.</summary>
    public static string On(string root, string relative) => Path.Combine(root, relative);
}
