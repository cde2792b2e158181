using VCluster.Tool.Runtime.Resources;
using System.Text.Json;
using System.Text.Json.Serialization;
using VCluster.Engine.Layout;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime;

/// <summary>
/// A process the tool started or adopted, as recorded in .state/run/processes.json: the tool's
/// own by this machine's pid, a node's daemon by the pid its pid file holds (the sandbox's).
/// </summary>
public sealed record TrackedProcess(string Node, string Name, int Pid, long StartTime)
{
    public LinuxProcess Process => new(Pid, StartTime);  // the tool's own (Node is "")
}

/// <summary>What the tool knows about a running cluster: its sandbox and every process in it.</summary>
public sealed class RuntimeState
{
    public int SandboxPid { get; set; }
    public long SandboxStartTime { get; set; }
    public string SandboxUserNamespace { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>Whether the last <c>up</c> finished. A failed or interrupted one leaves false, and why.</summary>
    public bool UpCompleted { get; set; }
    public string? UpFailure { get; set; }
    public List<TrackedProcess> Processes { get; set; } = [];

    /// <summary>The hosts map's write time (ticks) when the name server last read it.</summary>
    public long HostsMapLoaded { get; set; }

    /// <summary>The one process outside the sandbox: the RAPI forwarder on 127.0.0.1.</summary>
    public RapiForwarder? Rapi { get; set; }

    /// <summary>The network faults in force in this sandbox (<see cref="Faults.NetworkFaults"/>); a new sandbox has none.</summary>
    public List<Faults.NetworkFault> Faults { get; set; } = [];

    /// <summary>The arguments the running packet-delay program was given (<see cref="Faults.PacketDelays"/>); null while none runs.</summary>
    public string? PacketDelays { get; set; }

    [JsonIgnore]
    public LinuxProcess Sandbox => new(SandboxPid, SandboxStartTime);

    /// <summary>The sandbox's /proc, where the pids its processes write (pid files) are found.</summary>
    [JsonIgnore]
    public string SandboxProc => LinuxProcess.SandboxProc(SandboxPid);

    /// <summary>The state of the cluster whose root is <paramref name="root"/>, if it has one (it runs, or a failed up left it).</summary>
    public static RuntimeState? Load(string root)
    {
        var path = ClusterRootLayout.On(root, ClusterRootLayout.Processes);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), RuntimeStateJson.Default.RuntimeState) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string root)
    {
        Directory.CreateDirectory(ClusterRootLayout.On(root, ClusterRootLayout.RunDir));
        VCluster.Engine.AtomicFile.WriteAllBytes(ClusterRootLayout.On(root, ClusterRootLayout.Processes), JsonSerializer.SerializeToUtf8Bytes(this, RuntimeStateJson.Default.RuntimeState), null);
    }

    public static void Delete(string root)
    {
        foreach (var file in new[] { ClusterRootLayout.Processes, ClusterRootLayout.SandboxPid }.Select(f => ClusterRootLayout.On(root, f)))
        {
            if (File.Exists(file))
                File.Delete(file);
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RuntimeState))]
internal sealed partial class RuntimeStateJson : JsonSerializerContext;

/// <summary>
/// Nodes stopped with stop-node or kill-node, one name a line in .state/run/stopped-nodes:
/// the cluster's cron (templates/cluster/watcher.sbn) leaves them alone, as a switched-off
/// machine runs no cron.
/// </summary>
public static class StoppedNodes
{
    private static string PathIn(string root) => ClusterRootLayout.On(root, ClusterRootLayout.StoppedNodes);

    public static void Add(string root, string node) =>
        Write(root, Read(root).Append(node).Distinct());

    public static void Remove(string root, string node) =>
        Write(root, Read(root).Where(n => n != node));

    public static void Clear(string root) => Write(root, []);

    public static IReadOnlyList<string> Read(string root) =>
        File.Exists(PathIn(root)) ? File.ReadAllLines(PathIn(root)).Where(l => l.Length > 0).ToList() : [];

    private static void Write(string root, IEnumerable<string> nodes)
    {
        Directory.CreateDirectory(ClusterRootLayout.On(root, ClusterRootLayout.RunDir));
        VCluster.Engine.AtomicFile.WriteAllBytes(PathIn(root), System.Text.Encoding.UTF8.GetBytes(string.Concat(nodes.Select(n => n + "\n"))), null);
    }
}
