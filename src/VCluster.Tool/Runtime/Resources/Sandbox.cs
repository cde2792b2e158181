using VCluster.Engine;
using System.Globalization;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>
/// The cluster's sandbox: a user namespace (the user is root inside), a network namespace
/// whose loopback carries every node's address, a mount namespace in which the machine is
/// read-only but for the cluster root, mounted at a short path, and a pid namespace with its
/// own /proc (the generated setup script, templates/cluster/sandbox.sbn, builds it). Its init,
/// the holder, keeps them alive and reaps; everything else joins them with nsenter. Nothing
/// on the host changes (the one listener outside, on 127.0.0.1, is <see cref="RapiAccess"/>'s forwarder).
/// </summary>
public sealed class Sandbox(ClusterManifest manifest, IProcessHost host) : IClusterResource
{
    public string Name => "sandbox";

    private string RunDir => ClusterRootLayout.On(manifest.Root, ClusterRootLayout.RunDir);
    private string LogFile => ClusterRootLayout.On(manifest.Root, ClusterRootLayout.Log("sandbox"));
    private string PidFile => ClusterRootLayout.On(manifest.Root, ClusterRootLayout.SandboxPid);

    /// <summary>The holder recorded in <paramref name="state"/>, if it still lives.</summary>
    public LinuxProcess? Holder(RuntimeState? state) =>
        state is not null && host.IsAlive(state.Sandbox) ? state.Sandbox : null;

    public ResourceState Probe(RuntimeState? state) => Holder(state) is not null ? ResourceState.Running : ResourceState.Stopped;

    /// <summary>Starts the holder unless it lives, puts the node addresses on its loopback and records it.</summary>
    public void Ensure(RuntimeState state, CancellationToken cancellation)
    {
        if (Holder(state) is not null)
            return;
        var (holder, userNamespace) = Start();
        state.SandboxPid = holder.Pid;
        state.SandboxStartTime = holder.StartTime;
        state.SandboxUserNamespace = userNamespace;
        state.StartedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>Kills the holder, then whatever still lives in its user namespace (a dead holder's daemons can no longer be reached).</summary>
    public void Stop(RuntimeState state)
    {
        host.Signal(state.Sandbox, LinuxProcess.SigKill);
        Wait.Until(() =>
        {
            foreach (var process in host.InUserNamespace(state.SandboxUserNamespace))
                host.Signal(process, LinuxProcess.SigKill);
            return !host.InUserNamespace(state.SandboxUserNamespace).Any();
        }, TimeSpan.FromSeconds(5), interval: TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// Stops a sandbox that a killed <c>up</c> started but never recorded (it was killed between
    /// the sandbox's pid file and the run-time state): the pid file names it with its start
    /// time, so no other process is taken for it. Without this it would live on beside the next.
    /// </summary>
    public void StopUnrecorded(RuntimeState? recorded)
    {
        var lines = File.Exists(PidFile) ? File.ReadAllLines(PidFile) : [];
        if (lines.Length < 2 || !int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime))
            return;
        var holder = new LinuxProcess(pid, startTime);
        if (recorded is not null && recorded.Sandbox == holder || !host.IsAlive(holder)
            || host.UserNamespace(holder) is not { } userNamespace || userNamespace == host.OwnUserNamespace)
            return;
        Stop(new RuntimeState { SandboxPid = pid, SandboxStartTime = startTime, SandboxUserNamespace = userNamespace });
    }

    /// <summary>Whether anything of the sandbox lives: its holder, or a process left in its user namespace.</summary>
    public bool AnythingLeft(RuntimeState state) =>
        host.IsAlive(state.Sandbox) || host.InUserNamespace(state.SandboxUserNamespace).Any();

    private (LinuxProcess Holder, string UserNamespace) Start()
    {
        Directory.CreateDirectory(RunDir);
        // unshare forks the first process of the new pid namespace, which runs the setup script
        // and stays as the sandbox's init (the holder); unshare waits for it, and kills it if
        // unshare itself is killed.
        var unshare = host.StartDetached(["unshare", "--user", "--map-root-user", "--net", "--mount", "--propagation", "private",
            "--pid", "--fork", "--kill-child", "/bin/sh", manifest.Sandbox.Setup], LogFile);
        var self = host.OwnUserNamespace;
        LinuxProcess? holder = null, parent = null;
        string? userNamespace = null;
        // The setup script ends by becoming the init: only then is the machine every node sees
        // complete. A node entered earlier keeps a copy of a half-built mount table (at 400
        // nodes the master's lacked the sandbox's sysfs and the last nodes' /etc overlays, and
        // verify said so). TryRead takes a zombie for gone: a script that failed. (A command
        // line read in the middle of an exec may be empty: that alone says nothing.)
        var failed = false;
        var ready = Wait.Until(() =>
        {
            parent = host.TryRead(unshare);
            if (holder is null && parent is not null)
                holder = host.Children(unshare) is [var child, ..] ? host.TryRead(child) : null;
            userNamespace = holder is { } h ? host.UserNamespace(h) : null;
            if (holder is { } init && userNamespace is not null && userNamespace != self && host.Runs(init, InitName))
                return true;
            failed = parent is null || (holder is { } started && !host.IsAlive(started));
            return failed;
        }, SetupTimeout, interval: TimeSpan.FromMilliseconds(20)) && !failed;
        if (!ready)
        {
            if (holder is { } h)
                host.Signal(h, LinuxProcess.SigKill);
            if (parent is { } p)
                host.Signal(p, LinuxProcess.SigKill);
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.SandboxUnavailable,
                $"the sandbox did not start{(failed ? "" : $" within {SetupTimeout.TotalSeconds:F0} s")}: {ReadLog()}"));
        }
        // The pid (what every node's cmd reads, its first line), then the start time that tells
        // this holder from a later process with its pid (StopUnrecorded).
        File.WriteAllText(PidFile, $"{holder!.Value.Pid}\n{holder.Value.StartTime}\n");

        var batch = string.Join('\n', ["link set lo up", .. manifest.Nodes.Select(n => $"address add {n.Address}/32 dev lo")]) + "\n";
        var result = host.Run(Enter(holder.Value, ["ip", "-batch", "-"]), new RunOptions(TimeSpan.FromSeconds(30), StandardInput: batch));
        if (!result.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.SandboxUnavailable,
                $"cannot set the node addresses in the sandbox: {result.Tail(3)}"));
        return (holder.Value, userNamespace!);
    }

    /// <summary>The last word of the sandbox init's command line (templates/cluster/sandbox.sbn).</summary>
    public const string InitName = "vcluster-sandbox-init";

    /// <summary>
    /// A command line that runs inside the sandbox (as its root, i.e. as this user), in its pid
    /// namespace: nsenter forks the command there and waits for it.
    /// </summary>
    public static IReadOnlyList<string> Enter(LinuxProcess holder, IReadOnlyList<string> command) =>
        ["nsenter", "--preserve-credentials", "--user", "--net", "--mount", "--pid", "--target", holder.Pid.ToString(CultureInfo.InvariantCulture), "--", .. command];

    /// <summary>Sockets listening in the sandbox, as "tcp 192.0.2.2:1811" and "udp 192.0.2.2:1814".</summary>
    public static HashSet<string> Listeners(IProcessHost host, LinuxProcess holder)
    {
        var listening = new HashSet<string>(StringComparer.Ordinal);
        var result = host.Run(Enter(holder, ["ss", "--no-header", "--listening", "--numeric", "--tcp", "--udp"]), new RunOptions(TimeSpan.FromSeconds(10)));
        foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5)
                listening.Add($"{fields[0]} {fields[4]}");
        }
        return listening;
    }

    public static bool HasAddress(IProcessHost host, LinuxProcess holder, string address) =>
        host.Run(Enter(holder, ["ip", "-o", "address", "show", "dev", "lo"]), new RunOptions(TimeSpan.FromSeconds(10)))
            .Output.Contains($" {address}/", StringComparison.Ordinal);

    /// <summary>Takes <paramref name="address"/> off the sandbox's loopback device, if it is there.</summary>
    public static void RemoveAddress(IProcessHost host, LinuxProcess holder, string address)
    {
        var line = host.Run(Enter(holder, ["ip", "-o", "address", "show", "dev", "lo"]), new RunOptions(TimeSpan.FromSeconds(10)))
            .Output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).FirstOrDefault(f => f.Length > 3 && f[3].StartsWith(address + "/", StringComparison.Ordinal));
        if (line is not null)
            host.Run(Enter(holder, ["ip", "address", "del", line[3], "dev", "lo"]), new RunOptions(TimeSpan.FromSeconds(10)));
    }

    /// <summary>How long the setup script may take (400 nodes: a few seconds).</summary>
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromMinutes(2);

    private string ReadLog() => File.Exists(LogFile) ? string.Join(" | ", File.ReadAllLines(LogFile).TakeLast(3)) : "no output";
}
