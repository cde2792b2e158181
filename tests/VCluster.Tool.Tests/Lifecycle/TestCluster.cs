using System.Globalization;
using VCluster.Engine.Layout;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Tests.Lifecycle;

/// <summary>
/// A cluster as generation leaves it, in a temporary folder: a manifest of a few nodes with
/// Ganeti's daemons as the generator lists them, and (when it has been initialised) Ganeti's
/// ssconf files naming its master, candidates and members. Its processes are a <see cref="FakeHost"/>'s.
/// </summary>
public sealed class TestCluster : IDisposable
{
    public TestCluster(int nodes = 3, bool initialised = true)
    {
        Root = Directory.CreateTempSubdirectory("vcluster-lifecycle").FullName;
        Manifest = new ClusterManifest
        {
            Name = "cluster",
            Root = Root,
            SandboxRoot = "/mnt",
            ClusterAddress = "192.0.2.1",
            Master = "node1",
            Sandbox = new ManifestSandbox
            {
                StateDir = ClusterRootLayout.On(Root, ClusterRootLayout.StateDir),
                Setup = ClusterRootLayout.On(Root, ClusterRootLayout.SandboxSetup),
                Hosts = "/mnt/" + ClusterRootLayout.Hosts,
                Watcher = "/mnt/" + ClusterRootLayout.Watcher,
                WatcherInterval = 300,
            },
            Nodes = [.. Enumerable.Range(1, nodes).Select(Node)],
        };
        Directory.CreateDirectory(ClusterRootLayout.On(Root, ClusterRootLayout.SandboxDir));
        File.WriteAllText(ClusterRootLayout.On(Root, ClusterRootLayout.Hosts), string.Concat(Manifest.Nodes.Select(n => $"{n.Address} {n.Name}\n")));
        foreach (var node in Manifest.Nodes)
            Directory.CreateDirectory(Path.Combine(node.Root, "var/lib/ganeti"));
        if (initialised)
            Initialise();
        Host = new FakeHost(Manifest);
    }

    public string Root { get; }
    public ClusterManifest Manifest { get; }
    public FakeHost Host { get; }
    public StringWriter Progress { get; } = new();

    /// <summary>A runtime on the fake machine that waits without pause (no process needs time to start).</summary>
    public ClusterRuntime Runtime(TimeSpan? readyTimeout = null) =>
        new(new ClusterSession(Manifest, Host, Progress) { PollInterval = TimeSpan.Zero, ReadyTimeout = readyTimeout ?? TimeSpan.FromMilliseconds(50) });

    public RuntimeState? State => RuntimeState.Load(Root);

    /// <summary>As gnt-cluster init and the joins leave the master's tree: every node a member and master candidate.</summary>
    public void Initialise()
    {
        var data = Path.Combine(Manifest.Node("node1").Root, "var/lib/ganeti");
        var names = string.Concat(Manifest.Nodes.Select(n => n.Name + "\n"));
        File.WriteAllText(Path.Combine(data, "config.data"), "{}");
        File.WriteAllText(Path.Combine(data, "ssconf_master_node"), "node1\n");
        File.WriteAllText(Path.Combine(data, "ssconf_node_list"), names);
        File.WriteAllText(Path.Combine(data, "ssconf_master_candidates"), names);
    }

    private ManifestNode Node(int index)
    {
        var name = $"node{index.ToString(CultureInfo.InvariantCulture)}";
        var address = $"192.0.2.{(index + 1).ToString(CultureInfo.InvariantCulture)}";
        var root = Path.Combine(Root, "nodes", name);
        ManifestDaemon Daemon(string daemon, DaemonRole role, string log, string? protocol = null, int port = 0, string? socket = null) => new()
        {
            Name = daemon,
            Executable = $"/mnt/nodes/{name}/prefix/sbin/{daemon}",
            Role = role,
            Protocol = protocol,
            Port = port,
            Socket = socket is null ? null : Path.Combine(root, "var/run/ganeti/socket", socket),
            LogFile = Path.Combine(root, "var/log/ganeti", log),
            PidFile = Path.Combine(root, "var/run/ganeti", daemon + ".pid"),
        };
        return new ManifestNode
        {
            Name = name,
            Address = address,
            Master = index == 1,
            Root = root,
            SandboxRoot = $"/mnt/nodes/{name}",
            Prefix = $"/mnt/nodes/{name}/prefix",
            // In the order the generator lists them, which is the order daemon-util starts them.
            Daemons =
            [
                Daemon("ganeti-noded", DaemonRole.AllNodes, "node-daemon.log", "tcp", 1811),
                Daemon("ganeti-wconfd", DaemonRole.Master, "wconf-daemon.log", socket: "ganeti-wconfd"),
                Daemon("ganeti-rapi", DaemonRole.Master, "rapi-daemon.log", "tcp", 5080),
                Daemon("ganeti-luxid", DaemonRole.Master, "luxi-daemon.log", socket: "ganeti-query"),
                Daemon("ganeti-confd", DaemonRole.MasterCandidates, "conf-daemon.log", "udp", 1814),
                Daemon("ganeti-mond", DaemonRole.AllNodes, "monitoring-daemon.log", "tcp", 1815),
            ],
        };
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
