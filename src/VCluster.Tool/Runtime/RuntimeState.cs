using System.Text.Json;
using System.Text.Json.Serialization;

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

    [JsonIgnore]
    public LinuxProcess Sandbox => new(SandboxPid, SandboxStartTime);

    /// <summary>The sandbox's /proc, where the pids its processes write (pid files) are found.</summary>
    [JsonIgnore]
    public string SandboxProc => LinuxProcess.SandboxProc(SandboxPid);

    public static string PathIn(string stateDir) => System.IO.Path.Combine(stateDir, "run", "processes.json");

    public static RuntimeState? Load(string stateDir)
    {
        var path = PathIn(stateDir);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), RuntimeStateJson.Default.RuntimeState) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string stateDir)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(stateDir, "run"));
        VCluster.Engine.AtomicFile.WriteAllBytes(PathIn(stateDir), JsonSerializer.SerializeToUtf8Bytes(this, RuntimeStateJson.Default.RuntimeState), null);
    }

    public static void Delete(string stateDir)
    {
        foreach (var file in new[] { PathIn(stateDir), System.IO.Path.Combine(stateDir, "run", "sandbox.pid") })
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
    private static string PathIn(string stateDir) => System.IO.Path.Combine(stateDir, "run", "stopped-nodes");

    public static void Add(string stateDir, string node) =>
        Write(stateDir, Read(stateDir).Append(node).Distinct());

    public static void Remove(string stateDir, string node) =>
        Write(stateDir, Read(stateDir).Where(n => n != node));

    public static void Clear(string stateDir) => Write(stateDir, []);

    private static IEnumerable<string> Read(string stateDir) =>
        File.Exists(PathIn(stateDir)) ? File.ReadAllLines(PathIn(stateDir)).Where(l => l.Length > 0).ToList() : [];

    private static void Write(string stateDir, IEnumerable<string> nodes)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(stateDir, "run"));
        VCluster.Engine.AtomicFile.WriteAllBytes(PathIn(stateDir), System.Text.Encoding.UTF8.GetBytes(string.Concat(nodes.Select(n => n + "\n"))), null);
    }
}
