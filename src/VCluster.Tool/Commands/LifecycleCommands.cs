using VCluster.Tool.Runtime.Processes;
using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Phases;
using VCluster.Tool.Runtime.Instances;
using VCluster.Tool.Runtime.Joins;

namespace VCluster.Tool.Commands;

[Command("up", Description = "Start the cluster's sandbox and daemons; initialise the cluster and join its nodes the first time.")]
public sealed class UpCommand : MutatingCommand
{
    [Option("--timeout <SECONDS>", Description = "How long every daemon may take to answer (default: 120).")]
    public int TimeoutSeconds { get; set; } = 120;

    [Option("--join <HOW>", Description = "How nodes join a new cluster: bulk (all at once, the default) or sequential (one gnt-node add per node).")]
    [AllowedValues(NodeJoins.Bulk, NodeJoins.Sequential)]
    public string Join { get; set; } = NodeJoins.Default;

    [Option("--populate <HOW>", Description = "How declared instances the cluster lacks are created: bulk (all at once, the default) or jobs (Ganeti's gnt-instance batch-create).")]
    [AllowedValues(InstancePopulations.Bulk, InstancePopulations.Jobs)]
    public string Populate { get; set; } = InstancePopulations.Default;

    [Option("-v|--verbose", Description = "A line for every node and daemon, not only progress summaries.")]
    public bool Verbose { get; set; }

    protected override ClusterSession Session(ClusterManifest manifest, IConsole console) =>
        new(manifest, Host, console.Out) { ReadyTimeout = TimeSpan.FromSeconds(TimeoutSeconds), Verbose = Verbose };

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation)
    {
        Prerequisites.Check(manifest, Host, warnings: console.Error);
        return runtime.Up(new UpOptions(Join, Populate), cancellation);
    }
}

[Command("down", Description = "Stop every daemon and the sandbox; the cluster's state stays for the next 'up'.")]
public sealed class DownCommand : MutatingCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Down(cancellation);
}

[Command("destroy", Description = "Stop everything and delete the cluster's run-time state (configuration, keys, logs, instances).")]
public sealed class DestroyCommand : MutatingCommand
{
    [Option("-y|--yes", Description = "Do not ask for confirmation (for scripts).")]
    public bool Yes { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation)
    {
        if (!Yes && !Prompt.GetYesNo($"Destroy cluster '{manifest.Name}' and all its state in {manifest.Root}?", false))
        {
            console.WriteLine("nothing destroyed");
            return 1;
        }
        return runtime.Destroy(cancellation);
    }
}

[Command("restart", Description = "down, then up.")]
public sealed class RestartCommand : MutatingCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation)
    {
        Prerequisites.Check(manifest, Host, warnings: console.Error);
        runtime.Down(cancellation);
        return runtime.Up(cancellation);
    }
}

public abstract class NodeCommand : MutatingCommand
{
    [Argument(0, "node", Description = "The node's name.")]
    public string Node { get; set; } = "";
}

[Command("stop-node", Description = "Stop a node's daemons (SIGTERM, then SIGKILL after 15 s).")]
public sealed class StopNodeCommand : NodeCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.StopNode(Node, kill: false, cancellation);
}

[Command("kill-node", Description = "Kill every process of a node at once (SIGKILL), as a crash would.")]
public sealed class KillNodeCommand : NodeCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.StopNode(Node, kill: true, cancellation);
}

[Command("start-node", Description = "Start a node's daemons again and wait until they answer.")]
public sealed class StartNodeCommand : NodeCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.StartNode(Node, cancellation);
}

[Command("fault", Description = "Faults between nodes, made in the sandbox's network: partition, heal (docs/faults.md).")]
[Subcommand(typeof(FaultPartitionCommand), typeof(FaultHealCommand))]
public sealed class FaultCommand
{
    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();
        return 2;
    }
}

[Command("partition", Description = "Cut nodes off from the others (or from --from): what they send each other is lost, as with a pulled cable.")]
public sealed class FaultPartitionCommand : MutatingCommand
{
    [Argument(0, "nodes", Description = "The nodes to cut off.")]
    public string[] Nodes { get; set; } = [];

    [Option("--from <NODE>", Description = "The nodes they lose (repeatable; default: every other node).")]
    public string[] From { get; set; } = [];

    [Option("--one-way", Description = "Lose only what --from sends to the nodes; what they send still arrives.")]
    public bool OneWay { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Partition(Nodes, From, OneWay);
}

[Command("heal", Description = "End every fault, or those that involve a node.")]
public sealed class FaultHealCommand : MutatingCommand
{
    [Argument(0, "node", Description = "Heal only the faults that involve this node (default: all).")]
    public string? Node { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Heal(Node);
}
