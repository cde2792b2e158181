using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

/// <summary>
/// The cluster's sandbox: a user namespace (the user is root inside), a network namespace
/// whose loopback carries every node's address, and a mount namespace in which the machine is
/// read-only but for the cluster root, mounted at a short path (the generated setup script,
/// templates/cluster/sandbox.sbn, builds it). A holder process keeps them alive; everything
/// else joins them with nsenter. Nothing on the host changes (the one listener outside, on
/// 127.0.0.1, is <see cref="RapiAccess"/>'s forwarder).
/// </summary>
public sealed class Sandbox(ClusterManifest manifest)
{
    public string StateDir => manifest.Sandbox.StateDir;
    public string PidFile => Path.Combine(StateDir, "run", "sandbox.pid");

    /// <summary>The running holder, if the recorded one is still alive.</summary>
    public LinuxProcess? Holder(RuntimeState? state)
    {
        if (state is not null && state.Sandbox.IsAlive)
            return state.Sandbox;
        return null;
    }

    /// <summary>Starts the holder and puts the node addresses on its loopback.</summary>
    public (LinuxProcess Holder, string UserNamespace) Start()
    {
        Directory.CreateDirectory(Path.Combine(StateDir, "run"));
        var pid = Shell.Detached(["unshare", "--user", "--map-root-user", "--net", "--mount", "--propagation", "private",
            "/bin/sh", manifest.Sandbox.Setup], Path.Combine(StateDir, "run", "sandbox.log"));
        var self = new FileInfo("/proc/self/ns/user").LinkTarget;
        LinuxProcess? holder;
        string? userNamespace;
        // unshare enters the namespaces and runs the setup script, which ends by becoming
        // `sleep`: only then is the machine every node sees complete. A node entered earlier
        // keeps a copy of a half-built mount table (at 400 nodes the master's lacked the
        // sandbox's sysfs and the last nodes' /etc overlays, and verify said so).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            holder = LinuxProcess.TryRead(pid);
            userNamespace = holder?.UserNamespace;
            var command = holder?.CommandLine ?? "";
            if (holder is not null && userNamespace is not null && userNamespace != self && command.StartsWith("sleep", StringComparison.Ordinal))
                break;
            // TryRead takes a zombie for gone: a script that failed. (A command line read in the
            // middle of an exec may be empty: that alone says nothing.)
            if (holder is null || waited.Elapsed > SetupTimeout)
            {
                holder?.Signal(9);
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.SandboxUnavailable,
                    $"the sandbox did not start{(holder is null ? "" : $" within {SetupTimeout.TotalSeconds:F0} s")}: {ReadLog()}"));
            }
            Thread.Sleep(20);
        }
        File.WriteAllText(PidFile, $"{pid}\n");

        var batch = string.Join('\n', ["link set lo up", .. manifest.Nodes.Select(n => $"address add {n.Address}/32 dev lo")]) + "\n";
        var result = Shell.Run(Enter(holder.Value, ["ip", "-batch", "-"]), TimeSpan.FromSeconds(30), standardInput: batch);
        if (!result.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.SandboxUnavailable,
                $"cannot set the node addresses in the sandbox: {result.Tail(3)}"));
        return (holder.Value, userNamespace);
    }

    /// <summary>A command line that runs inside the sandbox (as its root, i.e. as this user).</summary>
    public static IReadOnlyList<string> Enter(LinuxProcess holder, IReadOnlyList<string> command) =>
        ["nsenter", "--preserve-credentials", "--user", "--net", "--mount", "--target", holder.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", .. command];

    /// <summary>Sockets listening in the sandbox, as "tcp 192.0.2.2:1811" and "udp 192.0.2.2:1814".</summary>
    public static HashSet<string> Listeners(LinuxProcess holder)
    {
        var listening = new HashSet<string>(StringComparer.Ordinal);
        var result = Shell.Run(Enter(holder, ["ss", "--no-header", "--listening", "--numeric", "--tcp", "--udp"]), TimeSpan.FromSeconds(10));
        foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5)
                listening.Add($"{fields[0]} {fields[4]}");
        }
        return listening;
    }

    public static bool HasAddress(LinuxProcess holder, string address) =>
        Shell.Run(Enter(holder, ["ip", "-o", "address", "show", "dev", "lo"]), TimeSpan.FromSeconds(10)).Output.Contains($" {address}/", StringComparison.Ordinal);

    /// <summary>How long the setup script may take (400 nodes: a few seconds).</summary>
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromMinutes(2);

    private string ReadLog()
    {
        var log = Path.Combine(StateDir, "run", "sandbox.log");
        return File.Exists(log) ? string.Join(" | ", File.ReadAllLines(log).TakeLast(3)) : "no output";
    }
}
