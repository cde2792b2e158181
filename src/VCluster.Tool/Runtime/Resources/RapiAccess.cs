using System.Globalization;
using System.Net;
using System.Net.Sockets;
using VCluster.Engine;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Runtime.Resources;

/// <summary>The RAPI forwarder as recorded in the run-time state: the process and where it relays to.</summary>
public sealed record RapiForwarder(int Pid, long StartTime, int Port, string Target)
{
    public LinuxProcess Process => new(Pid, StartTime);
}

/// <summary>The forwarder as status shows it; <see cref="Target"/> is the master it relays to right now.</summary>
public sealed record RapiStatus(ResourceState State, string? Url, int? Pid, string? Target, string User, string CredentialsFile);

/// <summary>
/// The cluster's RAPI from the host: a user the tool generates (plain credentials in the
/// cluster root, mode 0600; every node's users file holds only its {HA1} hash) and the one
/// listener outside the sandbox, a socat on 127.0.0.1 that relays each connection into the
/// sandbox to the master's ganeti-rapi.
/// </summary>
public sealed class RapiAccess(ClusterManifest manifest, IProcessHost host) : IClusterResource
{
    public string Name => "RAPI forwarder";

    public const string User = "vcluster";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    // ensure-dirs' mode for pathutils.RAPI_USERS_FILE.
    private const UnixFileMode UsersFileMode = OwnerOnly | UnixFileMode.GroupRead;

    public string CredentialsFile => Path.Combine(manifest.Root, "rapi-credentials");

    /// <summary>The last port the forwarder listened on: the next up takes it again if it is free.</summary>
    private string PortFile => ClusterRootLayout.On(manifest.Root, ClusterRootLayout.RapiPort);

    public static string Url(int port) => $"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>pathutils.RAPI_USERS_FILE in a node's tree.</summary>
    public static string UsersFile(ManifestNode node) => Path.Combine(node.Root, "var/lib/ganeti/rapi/users");

    /// <summary>
    /// What each connection runs in the sandbox's network namespace: the generated relay
    /// (templates/cluster/rapi-relay.sbn), which finds the master at that moment, so RAPI from
    /// the host follows a master failover.
    /// </summary>
    private string Relay => ClusterRootLayout.On(manifest.Root, ClusterRootLayout.RapiRelay);

    /// <summary>Credentials, users files and forwarder are all in place: up has nothing to do here.</summary>
    public bool IsReady(RuntimeState state) =>
        state.Rapi is { } forwarder && host.IsAlive(forwarder.Process) && forwarder.Target == Relay
        && ReadCredentials() is { } credentials && File.GetUnixFileMode(CredentialsFile) == OwnerOnly
        && manifest.Nodes.All(n => UsersFileHolds(n, credentials));

    /// <summary>Makes the generated user known to every node and the forwarder relay to the master.</summary>
    public void Ensure(RuntimeState state, CancellationToken cancellation)
    {
        var credentials = EnsureCredentials();
        // Every node, not only the master: Ganeti keeps the users file the same on all nodes
        // (gnt-cluster verify reports one that differs or is missing), and the next master
        // must know the user too.
        foreach (var node in manifest.Nodes)
        {
            var path = UsersFile(node);
            var existing = File.Exists(path) ? File.ReadAllText(path) : null;
            var merged = RapiUsers.Merge(existing, credentials);
            if (merged == existing)
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // A rename: ganeti-rapi's inotify watch reloads the file at once (IN_MOVED_TO).
            AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(merged), UsersFileMode);
        }
        EnsureForwarder(state, state.Sandbox, Relay);
    }

    /// <summary>The credentials file, made once (created with mode 0600, never wider) and reused.</summary>
    private RapiCredentials EnsureCredentials()
    {
        if (ReadCredentials() is { } existing)
        {
            if (File.GetUnixFileMode(CredentialsFile) != OwnerOnly)
                File.SetUnixFileMode(CredentialsFile, OwnerOnly);
            return existing;
        }
        var credentials = RapiCredentials.Generate(User);
        AtomicFile.WriteAllBytes(CredentialsFile, System.Text.Encoding.UTF8.GetBytes(credentials.Format()), OwnerOnly);
        return credentials;
    }

    private RapiCredentials? ReadCredentials() =>
        File.Exists(CredentialsFile) ? RapiCredentials.Parse(File.ReadAllText(CredentialsFile)) : null;

    private static bool UsersFileHolds(ManifestNode node, RapiCredentials credentials)
    {
        var path = UsersFile(node);
        if (!File.Exists(path))
            return false;
        var content = File.ReadAllText(path);
        return RapiUsers.Merge(content, credentials) == content;
    }

    private void EnsureForwarder(RuntimeState state, LinuxProcess holder, string target)
    {
        if (state.Rapi is { } current && host.IsAlive(current.Process) && current.Target == target)
            return;
        // Dead, or started by another version of the tool.
        Stop(state);
        var log = ClusterRootLayout.On(manifest.Root, ClusterRootLayout.Log("rapi-forwarder"));
        var preferred = ReadPort();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var port = FreePort(attempt == 0 ? preferred : null);
            // Each connection: a fork of the listener execs nsenter into the sandbox's user and
            // network namespaces (no mount namespace needed), which runs the relay to the master.
            var inner = new[]
            {
                "nsenter", "--preserve-credentials", "--user", "--net", "--target", holder.Pid.ToString(CultureInfo.InvariantCulture), "--",
                "/bin/sh", target,
            };
            var pid = host.StartDetached(["socat", $"TCP-LISTEN:{port.ToString(CultureInfo.InvariantCulture)},bind=127.0.0.1,reuseaddr,fork",
                "EXEC:" + string.Join(' ', inner.Select(SocatEscape))], log);
            if (WaitListening(pid, port) is { } process)
            {
                state.Rapi = new RapiForwarder(process.Pid, process.StartTime, port, target);
                File.WriteAllText(PortFile, $"{port.ToString(CultureInfo.InvariantCulture)}\n");
                return;
            }
            // Taken between our probe and socat's bind: another port.
        }
        throw SandboxServices.Failed("the RAPI forwarder (socat on 127.0.0.1)", "did not start listening", log);
    }

    /// <summary>Stops the forwarder and the connections it relays (its forks share its process group).</summary>
    public void Stop(RuntimeState state)
    {
        if (state.Rapi is { } forwarder)
        {
            var process = forwarder.Process;
            host.SignalGroup(process, LinuxProcess.SigTerm);
            Wait.Until(() => !host.IsAlive(process), TimeSpan.FromSeconds(1), interval: TimeSpan.FromMilliseconds(20));
            host.SignalGroup(process, LinuxProcess.SigKill);
        }
        state.Rapi = null;
    }

    public ResourceState Probe(RuntimeState? state) =>
        state?.Rapi is { } forwarder && host.IsAlive(forwarder.Process) ? ResourceState.Running
        : state is not null && host.IsAlive(state.Sandbox) ? ResourceState.Dead : ResourceState.Stopped;

    /// <summary>The forwarder's state; it relays every connection to <paramref name="master"/>, the master right now.</summary>
    public RapiStatus Status(RuntimeState? state, bool running, ManifestNode master)
    {
        // A forwarder outlives a sandbox killed behind the tool's back: shown until up or down stops it.
        var forwarder = state?.Rapi;
        var alive = forwarder is not null && host.IsAlive(forwarder.Process);
        var port = forwarder?.Port ?? ReadPort();
        return new RapiStatus(
            alive ? ResourceState.Running : running ? ResourceState.Dead : ResourceState.Stopped,
            port is { } p ? Url(p) : null,
            alive ? forwarder!.Pid : null,
            alive ? $"{master.Name} {master.Address}:{master.Daemons.Single(d => d.Name == "ganeti-rapi").Port.ToString(CultureInfo.InvariantCulture)}" : null,
            User,
            CredentialsFile);
    }

    private int? ReadPort() =>
        File.Exists(PortFile) && int.TryParse(File.ReadAllText(PortFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and < 65536 ? port : null;

    /// <summary>The preferred port if 127.0.0.1 has it free, else one the kernel picks.</summary>
    private static int FreePort(int? preferred)
    {
        if (preferred is { } wanted)
        {
            try
            {
                var probe = new TcpListener(IPAddress.Loopback, wanted);
                probe.Start();
                probe.Stop();
                return wanted;
            }
            catch (SocketException)
            {
            }
        }
        var any = new TcpListener(IPAddress.Loopback, 0);
        any.Start();
        var port = ((IPEndPoint)any.LocalEndpoint).Port;
        any.Stop();
        return port;
    }

    /// <summary>The forwarder once it listens on 127.0.0.1:<paramref name="port"/>; null if it exited first.</summary>
    private LinuxProcess? WaitListening(int pid, int port)
    {
        LinuxProcess? process = null;
        var listening = Wait.Until(() =>
            (process = host.TryRead(pid)) is null
            || host.Run(["ss", "--no-header", "--listening", "--numeric", "--tcp", "--processes", $"sport = :{port.ToString(CultureInfo.InvariantCulture)}"],
                new RunOptions(TimeSpan.FromSeconds(10))).Output.Contains($"pid={pid.ToString(CultureInfo.InvariantCulture)},", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), interval: TimeSpan.FromMilliseconds(20));
        if (listening && process is not null)
            return process;
        if (process is { } stuck)
            host.Signal(stuck, LinuxProcess.SigKill);
        return null;
    }

    /// <summary>One argument of socat's EXEC address: its separators and quotes escaped.</summary>
    private static string SocatEscape(string argument)
    {
        var escaped = new System.Text.StringBuilder();
        foreach (var c in argument)
        {
            if (c is ':' or ',' or '!' or '\\' or '"' or '\'' or '(' or ')' or '[' or ']' or '{' or '}')
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
