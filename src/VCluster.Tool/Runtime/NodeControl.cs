using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Runtime;

/// <summary>
/// What every way of running a cluster does to its nodes: run a command as a node, start a
/// node's daemons with Ganeti's own daemon-util, tell whether they answer, work on many nodes
/// at once, and report progress that stays readable for hundreds of nodes.
/// </summary>
public sealed class NodeControl(ClusterSession session, RuntimeState sandbox)
{
    private readonly ClusterManifest manifest = session.Manifest;
    private readonly IProcessHost _host = session.Host;

    public ClusterManifest Manifest => manifest;

    public ClusterSession Session => session;

    public TimeSpan Elapsed => session.Clock.Elapsed;

    /// <summary>How many nodes are worked on at once: the machine's cores (the work is CPU).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    public void Step(string message) => session.Step(message);

    /// <summary>A step of one node: printed only when verbose.</summary>
    public void Detail(string message)
    {
        if (session.Verbose)
            Step(message);
    }

    public ShellResult RunOnNode(ManifestNode node, IReadOnlyList<string> command, string what, TimeSpan timeout, CancellationToken cancellation,
        bool check = true, Action<string>? onOutputLine = null)
    {
        var result = _host.Run([Path.Combine(node.Root, "cmd"), CommandLine.Join(command)], new RunOptions(timeout, OnOutputLine: onOutputLine), cancellation);
        if (check && !result.Succeeded)
            throw Failure(node.Name, what, result.Tail(15));
        return result;
    }

    /// <summary>
    /// Starts those of <paramref name="daemons"/> that do not run, in order, with the node's
    /// daemon-util, all in one entry into the node (process creation is what a start costs
    /// most besides the daemon itself); returns their names.
    /// </summary>
    public List<string> StartDaemons(ManifestNode node, IEnumerable<string> daemons, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var pending = new List<ManifestDaemon>();
        foreach (var daemon in daemons.Select(name => node.Daemons.Single(d => d.Name == name)))
        {
            if (Running(daemon) is not null)
                continue;
            // A pid file left by a killed daemon may name a zombie not yet reaped, or by now
            // a stranger: start-stop-daemon would take either for the daemon and skip it.
            if (File.Exists(daemon.PidFile))
                File.Delete(daemon.PidFile);
            pending.Add(daemon);
        }
        if (pending.Count == 0)
            return [];
        Detail($"{node.Name}: starting {string.Join(", ", pending.Select(d => d.Name))}");
        var daemonUtil = CommandLine.Quote(Path.Combine(node.Prefix, "lib/ganeti/daemon-util"));
        var startEach = $"for d in {string.Join(' ', pending.Select(d => d.Name))}; do {daemonUtil} start $d || {{ echo \"vcluster: daemon-util start $d failed\" >&2; exit 1; }}; done";
        var result = _host.Run([Path.Combine(node.Root, "cmd"), startEach], new RunOptions(TimeSpan.FromMinutes(2)), cancellation);
        if (!result.Succeeded)
        {
            var failed = pending.FirstOrDefault(d => result.Output.Contains($"daemon-util start {d.Name} failed", StringComparison.Ordinal)) ?? pending[0];
            var output = string.Join('\n', result.Output.Split('\n').Where(l => !l.StartsWith("vcluster: daemon-util start", StringComparison.Ordinal)));
            throw Failure(node.Name, failed.Name, $"daemon-util start failed: {new ShellResult(result.ExitCode, output).Tail(5)}{LogTail(failed)}");
        }
        return pending.Select(d => d.Name).ToList();
    }

    /// <summary>
    /// Runs <paramref name="action"/> on every node, <see cref="Parallelism"/> at a time, with
    /// a progress line every few seconds ("what: done/total nodes") instead of one per node.
    /// </summary>
    public void ForEachNode(IEnumerable<ManifestNode> nodes, string what, Action<ManifestNode> action, CancellationToken cancellation, int? parallelism = null)
    {
        var list = nodes.ToList();
        if (list.Count == 0)
            return;
        var done = 0;
        var lastReport = Elapsed;
        try
        {
            Parallel.ForEach(list, new ParallelOptions { MaxDegreeOfParallelism = parallelism ?? Parallelism, CancellationToken = cancellation }, node =>
            {
                action(node);
                var now = Interlocked.Increment(ref done);
                lock (list)
                {
                    if (now == list.Count || Elapsed - lastReport > TimeSpan.FromSeconds(5))
                    {
                        lastReport = Elapsed;
                        Step($"{what}: {now}/{list.Count} nodes");
                    }
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is VClusterException))
        {
            throw new VClusterException(e.InnerExceptions.Cast<VClusterException>().SelectMany(x => x.Diagnostics).ToList());
        }
    }

    /// <summary>Daemons that should run but do not answer yet, with the reason; those of <paramref name="skipped"/> nodes left out.</summary>
    public List<(ManifestNode Node, ManifestDaemon Daemon, string Why)> NotReady(IReadOnlyCollection<string>? skipped = null)
    {
        var listeners = Sandbox.Listeners(_host, sandbox.Sandbox);
        var roles = ClusterRoles.Read(manifest);
        var missing = new List<(ManifestNode, ManifestDaemon, string)>();
        foreach (var node in manifest.Nodes.Where(n => skipped is null || !skipped.Contains(n.Name)))
        {
            foreach (var daemon in roles.DaemonsOf(node))
            {
                if (Readiness(daemon, node, listeners) is { } why)
                    missing.Add((node, daemon, why));
            }
        }
        return missing;
    }

    /// <summary>
    /// Waits until every daemon the cluster's roles call for answers, but on nodes stopped on
    /// purpose (stop-node, kill-node: up clears the list first), which run none.
    /// </summary>
    public void WaitReady(TimeSpan timeout, CancellationToken cancellation)
    {
        Step("waiting for every daemon to answer");
        var stopped = StoppedNodes.Read(manifest.Root);
        var missing = NotReady(stopped);
        if (!Wait.Until(() => (missing = NotReady(stopped)).Count == 0, timeout, cancellation, session.Poll(TimeSpan.FromMilliseconds(250))))
        {
            throw new VClusterException(missing.Take(10).Select(m => new VClusterDiagnostic(ErrorCodes.DaemonFailed,
                $"node {m.Node.Name}: {m.Daemon.Name} is not ready after {timeout.TotalSeconds:F0} s ({m.Why}){LogTail(m.Daemon)}")).ToList());
        }
    }

    /// <summary>Null when ready, else why not.</summary>
    public string? Readiness(ManifestDaemon daemon, ManifestNode node, IReadOnlySet<string> listeners) =>
        Running(daemon) is null ? "not running" : NotAnswering(daemon, node, listeners);

    /// <summary>For a daemon known to run: null when it listens where it should, else where it does not.</summary>
    public static string? NotAnswering(ManifestDaemon daemon, ManifestNode node, IReadOnlySet<string> listeners)
    {
        if (daemon.Port > 0 && !listeners.Contains($"{daemon.Protocol} {node.Address}:{daemon.Port}"))
            return $"not listening on {node.Address}:{daemon.Port}/{daemon.Protocol}";
        if (daemon.Socket is not null && !File.Exists(daemon.Socket))
            return $"no socket {daemon.Socket}";
        return null;
    }

    /// <summary>The node's running <paramref name="daemon"/>, if it runs (<see cref="ProcessHostExtensions.OfDaemon"/>).</summary>
    public LinuxProcess? Running(ManifestDaemon daemon) => _host.OfDaemon(daemon, sandbox.SandboxUserNamespace, sandbox.SandboxProc);

    public static VClusterException Failure(string node, string what, string detail) =>
        new(new VClusterDiagnostic(ErrorCodes.DaemonFailed, $"node {node}: {what} failed: {detail}"));

    public static string LogTail(ManifestDaemon daemon)
    {
        if (!File.Exists(daemon.LogFile))
            return "";
        var lines = File.ReadLines(daemon.LogFile).TakeLast(8).ToList();
        return lines.Count == 0 ? "" : $"\n  last lines of {daemon.LogFile}:\n    " + string.Join("\n    ", lines);
    }
}
