using System.Globalization;
using VCluster.Engine.Diagnostics;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime;

/// <summary>What runs on a node of a running cluster, with the terminal: verify, burnin, exec, logs.</summary>
public sealed class NodeCommands(ClusterSession session, Func<RuntimeState> requireRunning)
{
    private IProcessHost Host => session.Host;

    /// <summary>Runs "gnt-cluster verify" on the master, ignoring nothing (docs/verify.md).</summary>
    public int Verify()
    {
        requireRunning();
        var master = session.Manifest.Node(session.Roles().Master);
        var exitCode = Host.Interactive([Path.Combine(master.Root, "cmd"), CommandLine.Join(["gnt-cluster", "verify", "--error-codes"])]);
        session.Progress.WriteLine(exitCode == 0
            ? $"cluster '{session.Manifest.Name}' verified: no errors"
            : $"error {ErrorCodes.VerifyFailed}: gnt-cluster verify found errors in cluster '{session.Manifest.Name}' (exit {exitCode})");
        return exitCode == 0 ? 0 : 1;
    }

    /// <summary>
    /// Runs Ganeti's burnin on the master with free instance names of the cluster's reserved
    /// ones, leaving out only the phases <see cref="BurninPolicy"/> lists.
    /// </summary>
    public int Burnin(string template, int count, bool parallel, CancellationToken cancellation)
    {
        var manifest = session.Manifest;
        var master = manifest.Node(session.Roles().Master);
        var used = session.Nodes(requireRunning()).RunOnNode(master, ["gnt-instance", "list", "--no-headers", "-o", "name"], "gnt-instance list", TimeSpan.FromMinutes(1), cancellation)
            .Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var names = manifest.Instances.Select(i => i.Name).Where(n => !used.Contains(n)).Take(count + 1).ToList();
        if (names.Count < count + 1)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InstanceNamesExhausted,
                $"burnin with {count} instance(s) needs {count + 1} free instance names (one for the rename phase); cluster '{manifest.Name}' " +
                $"reserves {manifest.Instances.Count} and {used.Count} instance(s) exist: raise VClusterInstanceCount (dotnet vcluster generate --instances)"));
        var leftOut = BurninPolicy.LeftOut.Where(l => l.Template == template).Select(l => l.Switch).ToList();
        session.Step($"burnin -t {template} on {master.Name}: {string.Join(' ', names.Take(count))}" +
            (leftOut.Count > 0 ? $" (left out, see docs/burnin.md: {string.Join(' ', leftOut)})" : ""));
        var exitCode = Host.Interactive([Path.Combine(master.Root, "cmd"), CommandLine.Join(BurninPolicy.Arguments(template, names, parallel))]);
        if (exitCode == 0)
            session.Step($"burnin -t {template} passed");
        else
            session.Progress.WriteLine($"error {ErrorCodes.BurninFailed}: burnin -t {template} failed in cluster '{manifest.Name}' (exit {exitCode})");
        return exitCode == 0 ? 0 : 1;
    }

    public int Exec(string name, IReadOnlyList<string> command)
    {
        requireRunning();
        return Host.Interactive([Path.Combine(session.Manifest.Node(name).Root, "cmd"), CommandLine.Join(command)]);
    }

    public int Logs(string name, string? daemon, bool follow, int lines)
    {
        var node = session.Manifest.Node(name);
        var logDir = Path.Combine(node.Root, "var/log/ganeti");
        IEnumerable<string> files;
        if (daemon is null)
        {
            files = node.Daemons.Select(d => d.LogFile).Where(File.Exists);
        }
        else
        {
            var match = node.Daemons.FirstOrDefault(d => d.Name == daemon || d.Name == "ganeti-" + daemon)
                ?? throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidNodeName,
                    $"node {name} has no daemon '{daemon}' (daemons: {string.Join(", ", node.Daemons.Select(d => d.Name))})"));
            files = [match.LogFile];
        }
        var list = files.ToList();
        if (list.Count == 0)
        {
            session.Progress.WriteLine($"node {name} has no logs yet in {logDir}");
            return 0;
        }
        return Host.Interactive(["tail", "-n", lines.ToString(CultureInfo.InvariantCulture), .. follow ? new[] { "-F" } : [], .. list]);
    }
}
