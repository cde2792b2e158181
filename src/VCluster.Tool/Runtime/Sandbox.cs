using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

/// <summary>
/// The cluster's sandbox: a user namespace (the user is root inside), a network namespace
/// whose loopback carries every node's address, a mount namespace in which the machine is
/// read-only but for the cluster root, mounted at a short path, and a pid namespace with its
/// own /proc (the generated setup script, templates/cluster/sandbox.sbn, builds it). Its init,
/// the holder, keeps them alive and reaps; everything else joins them with nsenter. Nothing on the host changes (the one listener outside, on
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
        // unshare forks the first process of the new pid namespace, which runs the setup script
        // and stays as the sandbox's init (the holder); unshare waits for it, and kills it if
        // unshare itself is killed.
        var unshare = Shell.Detached(["unshare", "--user", "--map-root-user", "--net", "--mount", "--propagation", "private",
            "--pid", "--fork", "--kill-child", "/bin/sh", manifest.Sandbox.Setup], Path.Combine(StateDir, "run", "sandbox.log"));
        var self = new FileInfo("/proc/self/ns/user").LinkTarget;
        LinuxProcess? holder = null;
        string? userNamespace;
        // The setup script ends by becoming the init: only then is the machine every node sees
        // complete. A node entered earlier keeps a copy of a half-built mount table (at 400
        // nodes the master's lacked the sandbox's sysfs and the last nodes' /etc overlays, and
        // verify said so).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var parent = LinuxProcess.TryRead(unshare);
            if (holder is null && parent is not null)
                holder = FirstChild(unshare) is { } child ? LinuxProcess.TryRead(child) : null;
            userNamespace = holder?.UserNamespace;
            if (holder is { } h && userNamespace is not null && userNamespace != self && h.Runs(InitName))
                break;
            // TryRead takes a zombie for gone: a script that failed. (A command line read in the
            // middle of an exec may be empty: that alone says nothing.)
            if (parent is null || (holder is { } started && !started.IsAlive) || waited.Elapsed > SetupTimeout)
            {
                holder?.Signal(9);
                parent?.Signal(9);
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.SandboxUnavailable,
                    $"the sandbox did not start{(parent is null || holder is { IsAlive: false } ? "" : $" within {SetupTimeout.TotalSeconds:F0} s")}: {ReadLog()}"));
            }
            Thread.Sleep(20);
        }
        File.WriteAllText(PidFile, $"{holder.Value.Pid}\n");

        var batch = string.Join('\n', ["link set lo up", .. manifest.Nodes.Select(n => $"address add {n.Address}/32 dev lo")]) + "\n";
        var result = Shell.Run(Enter(holder.Value, ["ip", "-batch", "-"]), TimeSpan.FromSeconds(30), standardInput: batch);
        if (!result.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.SandboxUnavailable,
                $"cannot set the node addresses in the sandbox: {result.Tail(3)}"));
        return (holder.Value, userNamespace);
    }

    /// <summary>The last word of the sandbox init's command line (templates/cluster/sandbox.sbn).</summary>
    private const string InitName = "vcluster-sandbox-init";

    private static int? FirstChild(int pid)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// A command line that runs inside the sandbox (as its root, i.e. as this user), in its pid
    /// namespace: nsenter forks the command there and waits for it.
    /// </summary>
    public static IReadOnlyList<string> Enter(LinuxProcess holder, IReadOnlyList<string> command) =>
        ["nsenter", "--preserve-credentials", "--user", "--net", "--mount", "--pid", "--target", holder.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", .. command];

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
