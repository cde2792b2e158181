using VCluster.Tool.Runtime.Processes;
using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Faults;
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

[Command("crash", Description = "Kill every process of the cluster at once (SIGKILL of its sandbox), as a power cut would; 'up' brings it back.")]
public sealed class CrashCommand : MutatingCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) => runtime.Crash();
}

[Command("failover", Description = "Move the master with Ganeti's gnt-cluster master-failover, run on NODE (default: the first running master candidate); --no-voting after the master died.")]
public sealed class FailoverCommand : MutatingCommand
{
    [Argument(0, "node", Description = "The new master: a master candidate that runs.")]
    public string? Node { get; set; }

    [Option("--no-voting", Description = "Without the nodes' agreement (Ganeti's --no-voting --yes-do-it): for a master that is down, as after kill-node.")]
    public bool NoVoting { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Failover(Node, NoVoting, cancellation);
}

[Command("fault", Description = "Faults on purpose: partition, loss, rate, reset and delay between nodes (in the sandbox's network), a node's clock skew, heal (docs/faults.md).")]
[Subcommand(typeof(FaultPartitionCommand), typeof(FaultLossCommand), typeof(FaultRateCommand), typeof(FaultResetCommand), typeof(FaultDelayCommand), typeof(FaultSkewCommand), typeof(FaultHealCommand))]
public sealed class FaultCommand
{
    private int OnExecute(CommandLineApplication app)
    {
        app.ShowHelp();
        return 2;
    }
}

/// <summary>What every fault between nodes takes: the nodes, the others (--from), one way or both.</summary>
public abstract class NetworkFaultCommand : MutatingCommand
{
    [Option("--from <NODE>", Description = "The nodes on the other side (repeatable; default: every other node).")]
    public string[] From { get; set; } = [];

    [Option("--one-way", Description = "Only what --from sends to the nodes; what they send is left alone.")]
    public bool OneWay { get; set; }
}

/// <summary>A fault on one node's traffic with the others (or --from).</summary>
public abstract class NodeNetworkFaultCommand : NetworkFaultCommand
{
    [Argument(0, "node", Description = "The node.")]
    public string Node { get; set; } = "";
}

[Command("partition", Description = "Cut nodes off from the others (or from --from): what they send each other is lost, as with a pulled cable.")]
public sealed class FaultPartitionCommand : NetworkFaultCommand
{
    [Argument(0, "nodes", Description = "The nodes to cut off.")]
    public string[] Nodes { get; set; } = [];

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Fault(NetworkFault.Partition, Nodes, From, OneWay);
}

[Command("loss", Description = "Lose a percentage of the packets between a node and the others (or --from), at random.")]
public sealed class FaultLossCommand : NodeNetworkFaultCommand
{
    [Argument(1, "percent", Description = "Percentage of packets lost, 1 to 100.")]
    public int Percent { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Fault(NetworkFault.Loss, [Node], From, OneWay, Percent);
}

[Command("rate", Description = "Limit the traffic between a node and the others (or --from) to a rate, each way; what exceeds it is lost.")]
public sealed class FaultRateCommand : NodeNetworkFaultCommand
{
    [Argument(1, "kbit", Description = "kbit/s each way, at least 8.")]
    public int Kbit { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Fault(NetworkFault.Rate, [Node], From, OneWay, Kbit);
}

[Command("reset", Description = "Reset a node's TCP connections with the others (or --from): open ones at once, new ones as they start.")]
public sealed class FaultResetCommand : NodeNetworkFaultCommand
{
    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Fault(NetworkFault.Reset, [Node], From, OneWay);
}

[Command("delay", Description = "Hold every packet between a node and the others (or --from) MS milliseconds each way (± --jitter), as a long link would.")]
public sealed class FaultDelayCommand : NodeNetworkFaultCommand
{
    [Argument(1, "ms", Description = "Milliseconds each packet is held, each way (a round trip takes twice), 1 to 60000.")]
    public int Milliseconds { get; set; }

    [Option("--jitter <MS>", Description = "Each packet's delay varies that much either way, uniformly (packets may then overtake each other, as with netem).")]
    public int Jitter { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Fault(NetworkFault.Delay, [Node], From, OneWay, Milliseconds, Jitter);
}

[Command("skew", Description = "Set a node's clock off by SECONDS (negative: behind), through Debian's libfaketime; the node's daemons restart to take it.")]
public sealed class FaultSkewCommand : NodeCommand
{
    [Argument(1, "seconds", Description = "Seconds ahead (or behind, negative); Ganeti's verify reports more than 150 (ENODETIME).")]
    public int Seconds { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Skew(Node, Seconds, cancellation);
}

[Command("heal", Description = "End every fault, or those that involve a node (a skewed node's daemons restart with its true clock).")]
public sealed class FaultHealCommand : MutatingCommand
{
    [Argument(0, "node", Description = "Heal only the faults that involve this node (default: all).")]
    public string? Node { get; set; }

    protected override int Run(ClusterManifest manifest, ClusterRuntime runtime, IConsole console, CancellationToken cancellation) =>
        runtime.Heal(Node, cancellation);
}
