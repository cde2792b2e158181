using System.Text.Json;
using System.Text.Json.Serialization;
using McMaster.Extensions.CommandLineUtils;
using VCluster.Engine.Ganeti;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Commands;

[Command("status", Description = "Up, partial (and why) or down; per node and daemon: state, pid, address, port, uptime; the RAPI URL on 127.0.0.1 and its credentials file.")]
public sealed class StatusCommand : ClusterCommand
{
    /// <summary>Up to this many nodes the daemon table is shown by default; above, a summary.</summary>
    private const int TableNodes = 20;
    private const int ShownProblems = 20;

    [Option("--json", Description = "Machine-readable output (every node and daemon).")]
    public bool Json { get; set; }

    [Option("-d|--details", Description = "The table of every node's daemons, also for clusters of more than 20 nodes.")]
    public bool Details { get; set; }

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        var manifest = LoadManifest();
        var status = Runtime(manifest, console).Status();
        if (Json)
        {
            console.WriteLine(JsonSerializer.Serialize(status, StatusJson.Default.ClusterStatus));
            return 0;
        }
        console.WriteLine(status.State switch
        {
            ClusterState.Up => $"cluster {status.Name}: up (sandbox pid {status.SandboxPid})  root {status.Root}",
            ClusterState.Partial => $"cluster {status.Name}: partly up (sandbox pid {status.SandboxPid}): 'dotnet vcluster up' completes it, 'dotnet vcluster down' stops it  root {status.Root}",
            _ => $"cluster {status.Name}: down  root {status.Root}",
        });
        foreach (var problem in status.Problems.Take(ShownProblems))
            console.WriteLine($"  problem: {problem}");
        if (status.Problems.Count > ShownProblems)
            console.WriteLine($"  ... and {status.Problems.Count - ShownProblems} more problems (--json lists them all)");
        foreach (var fault in status.Faults)
            console.WriteLine($"  fault: {fault.Describe()}  ('dotnet vcluster fault heal' ends it)");
        foreach (var (node, seconds) in status.ClockSkews)
            console.WriteLine($"  fault: {VCluster.Tool.Runtime.Faults.ClockSkews.Describe(node, seconds)}  ('dotnet vcluster fault heal' ends it)");
        if (manifest.Ganeti.Installed is { } installed)
        {
            // Which installed version each node runs: its own version link, which gnt-cluster upgrade switches.
            var running = manifest.Nodes.GroupBy(n => GanetiVersions.RunningOn(n.Root) ?? "?")
                .Select(g => $"{g.Key} on {(g.Count() == manifest.Nodes.Count ? "every node" : string.Join(", ", g.Select(n => n.Name)))}");
            console.WriteLine($"ganeti: {string.Join("; ", running)} (installed: {string.Join(", ", installed.Select(v => v.Version))}; gnt-cluster upgrade --to VERSION switches)");
        }
        var rapi = status.Rapi;
        console.WriteLine($"rapi {rapi.Url ?? "-"}: forwarder {ClusterStatusReader.Json(rapi.State)}{(rapi.Pid is { } pid ? $" (pid {pid}, to {rapi.Target})" : "")}  user {rapi.User}, password in {rapi.CredentialsFile}");
        var needed = status.Nodes.SelectMany(n => n.Daemons).Where(d => d.State != ResourceState.NotNeeded).ToList();
        var master = status.Nodes.FirstOrDefault(n => n.Master)?.Name ?? "-";
        console.WriteLine($"nodes: {status.Nodes.Count} (master {master}); daemons: " +
            string.Join(", ", needed.GroupBy(d => d.State).OrderBy(g => ClusterStatusReader.Json(g.Key), StringComparer.Ordinal).Select(g => $"{g.Count()} {ClusterStatusReader.Json(g.Key)}")));
        if (status.Nodes.Count > TableNodes && !Details)
            return 0;
        console.WriteLine($"{"NODE",-12} {"DAEMON",-14} {"STATE",-11} {"PID",7} {"ADDRESS",-16} {"PORT",9} {"UPTIME",9}");
        foreach (var node in status.Nodes)
        {
            foreach (var d in node.Daemons.Where(d => d.State != ResourceState.NotNeeded))
            {
                var port = d.Port > 0 ? $"{d.Port}/{d.Protocol}" : "-";
                var uptime = d.UptimeSeconds is { } s ? TimeSpan.FromSeconds(s).ToString(@"hh\:mm\:ss") : "-";
                console.WriteLine($"{node.Name + (node.Master ? "*" : ""),-12} {d.Name.Replace("ganeti-", ""),-14} {ClusterStatusReader.Json(d.State),-11} {d.Pid?.ToString() ?? "-",7} {d.Address,-16} {port,9} {uptime,9}");
            }
        }
        return 0;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ClusterStatus))]
internal sealed partial class StatusJson : JsonSerializerContext;

[Command("exec", Description = "Run a command as a node, inside the sandbox: dotnet vcluster exec node1 -- gnt-node list", ThrowOnUnexpectedArgument = false)]
public sealed class ExecCommand : ClusterCommand
{
    [Argument(0, "node", Description = "The node's name.")]
    public string Node { get; set; } = "";

    public string[] RemainingArguments { get; set; } = [];

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        var command = RemainingArguments.SkipWhile(a => a == "--").ToArray();
        if (command.Length == 0)
        {
            console.Error.WriteLine("usage: dotnet vcluster exec NODE -- COMMAND [ARGS...]");
            return 2;
        }
        return Runtime(LoadManifest(), console).Exec(Node, command);
    }
}

[Command("shell", Description = "An interactive shell as a node, inside the sandbox.")]
public sealed class ShellCommand : ClusterCommand
{
    [Argument(0, "node", Description = "The node's name.")]
    public string Node { get; set; } = "";

    protected override int Run(IConsole console, CancellationToken cancellation) =>
        Runtime(LoadManifest(), console).Exec(Node, [Environment.GetEnvironmentVariable("SHELL") ?? "/bin/bash"]);
}

[Command("verify", Description = "Run gnt-cluster verify on the master; exit 1 on errors (for CI stages). Ignores only the checks docs/verify.md lists.")]
public sealed class VerifyCommand : ClusterCommand
{
    protected override int Run(IConsole console, CancellationToken cancellation) => Runtime(LoadManifest(), console).Verify();
}

[Command("burnin", Description = "Run Ganeti's burnin on the master with the cluster's free instance names, per disk template; exit 1 if it fails. Leaves out only the phases docs/burnin.md lists.")]
public sealed class BurninCommand : ClusterCommand
{
    [Option("-t|--disk-template <TEMPLATE>", Description = "diskless, file, sharedfile or plain (LVM); repeat for several (default: diskless and file).")]
    [AllowedValues("diskless", "file", "sharedfile", "plain")]
    public string[] Templates { get; set; } = [];

    [Option("-n|--instances <COUNT>", Description = "Instances per template (default: 3).")]
    [System.ComponentModel.DataAnnotations.Range(1, 1000)]
    public int Instances { get; set; } = 3;

    [Option("--serial", Description = "One job at a time (burnin without -p).")]
    public bool Serial { get; set; }

    protected override int Run(IConsole console, CancellationToken cancellation)
    {
        var runtime = Runtime(LoadManifest(), console);
        foreach (var template in Templates.Length > 0 ? Templates : BurninPolicy.DefaultTemplates)
        {
            if (runtime.Burnin(template, Instances, !Serial, cancellation) != 0)
                return 1;
        }
        return 0;
    }
}

[Command("logs", Description = "Show a node's daemon logs: dotnet vcluster logs node1 [noded] [--follow]")]
public sealed class LogsCommand : ClusterCommand
{
    [Argument(0, "node", Description = "The node's name.")]
    public string Node { get; set; } = "";

    [Argument(1, "daemon", Description = "One daemon (noded, confd, luxid, ...); default: all.")]
    public string? Daemon { get; set; }

    [Option("-f|--follow", Description = "Keep printing new lines.")]
    public bool Follow { get; set; }

    [Option("-n|--lines <N>", Description = "Lines from the end of each log (default: 40).")]
    public int Lines { get; set; } = 40;

    protected override int Run(IConsole console, CancellationToken cancellation) =>
        Runtime(LoadManifest(), console).Logs(Node, Daemon, Follow, Lines);
}
