using VCluster.Tool.Runtime.Resources;
using VCluster.Tool.Runtime.Processes;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using VCluster.Engine;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Report;

/// <summary>
/// Measures an operation on a running cluster: its wall time; the CPU time of the whole
/// cluster during it (every process of the sandbox with the children it reaped, the RAPI
/// forwarder, and what the operation's command used, which this process reaps); and the RPCs
/// the nodes answered, from noded's own log lines ("POST /node_info HTTP/1.1 200").
/// </summary>
public sealed partial class OperationMeter(ClusterManifest manifest, IProcessHost host, RuntimeState state)
{
    [GeneratedRegex(@" POST /([a-z0-9_]+) HTTP/")]
    private static partial Regex RpcLine();

    private string NodedLog(ManifestNode node) => node.Daemons.Single(d => d.Name == "ganeti-noded").LogFile;

    /// <summary>CPU seconds used so far by the cluster and by this process's reaped children.</summary>
    public double CpuSeconds() =>
        host.InUserNamespace(state.SandboxUserNamespace).Sum(host.CpuSeconds)
        + (state.Rapi is { } forwarder ? host.CpuSeconds(forwarder.Process) : 0) + ReapedChildrenSeconds();

    /// <summary>Runs <paramref name="action"/> and measures it.</summary>
    public ReportRun Measure(Func<ShellResult> action)
    {
        var logs = manifest.Nodes.ToDictionary(n => n.Name, n => Length(NodedLog(n)));
        var cpu = CpuSeconds();
        var clock = Stopwatch.StartNew();
        var result = action();
        var wall = clock.Elapsed.TotalSeconds;
        WaitLogsQuiet();
        var run = new ReportRun
        {
            WallSeconds = Math.Round(wall, 3),
            CpuSeconds = Math.Round(CpuSeconds() - cpu, 2),
            Rpcs = CountRpcs(logs),
            Failed = !result.Succeeded,
            Error = result.Succeeded ? null : result.Tail(5),
        };
        return run;
    }

    /// <summary>CPU seconds and RPCs per second of the idle cluster, over <paramref name="span"/>.</summary>
    public (double CpuPerSecond, double RpcsPerSecond) Idle(TimeSpan span, CancellationToken cancellation)
    {
        var logs = manifest.Nodes.ToDictionary(n => n.Name, n => Length(NodedLog(n)));
        var cpu = CpuSeconds();
        var clock = Stopwatch.StartNew();
        Task.Delay(span, cancellation).Wait(cancellation);
        var seconds = clock.Elapsed.TotalSeconds;
        return (Math.Round((CpuSeconds() - cpu) / seconds, 3), Math.Round(CountRpcs(logs).Values.Sum() / seconds, 2));
    }

    /// <summary>
    /// An operation's RPCs go on after its command returns: noded logs a request once it has
    /// answered, and wconfd distributes a changed configuration on its own afterwards (ssconf
    /// to every node, at 250 nodes for seconds). They are the operation's: the logs are read,
    /// and the CPU taken, once none has grown for half a second (a minute at most).
    /// </summary>
    private void WaitLogsQuiet()
    {
        var last = TotalLength();
        var quietSince = Stopwatch.StartNew();
        Wait.Until(() =>
        {
            var now = TotalLength();
            if (now != last)
                (last, quietSince) = (now, Stopwatch.StartNew());
            return quietSince.ElapsedMilliseconds >= 500;
        }, TimeSpan.FromMinutes(1), interval: TimeSpan.FromMilliseconds(20));
    }

    private long TotalLength() => manifest.Nodes.Sum(n => Length(NodedLog(n)));

    private Dictionary<string, int> CountRpcs(Dictionary<string, long> before)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in manifest.Nodes)
        {
            var path = NodedLog(node);
            if (!File.Exists(path))
                continue;
            using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // A log rotated meanwhile (shorter than before) is read from its start.
            log.Seek(before[node.Name] <= log.Length ? before[node.Name] : 0, SeekOrigin.Begin);
            using var reader = new StreamReader(log);
            while (reader.ReadLine() is { } line)
            {
                if (RpcLine().Match(line) is { Success: true } match)
                    counts[match.Groups[1].Value] = counts.GetValueOrDefault(match.Groups[1].Value) + 1;
            }
        }
        return new Dictionary<string, int>(counts);
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static double ReapedChildrenSeconds()
    {
        var usage = new RUsage();
        return GetRUsage(RUsageChildren, ref usage) == 0
            ? usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6
            : 0;
    }

    private const int RUsageChildren = -1;

    /// <summary>struct rusage of 64-bit Linux: two timevals, then fourteen longs (144 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRUsage(int who, ref RUsage usage);
}
