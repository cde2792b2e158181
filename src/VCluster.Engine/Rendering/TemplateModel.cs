using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Scriban.Runtime;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Layout;
using VCluster.Engine.Model;

namespace VCluster.Engine.Rendering;

/// <summary>
/// The values templates see: <c>cluster</c>, <c>ganeti</c> and, in node templates, <c>node</c>.
/// docs/templates.md lists every name.
/// </summary>
public sealed class TemplateModel
{
    private readonly ScriptObject _cluster;
    private readonly ScriptObject _ganeti;
    private readonly Dictionary<string, ScriptObject> _nodes;
    private readonly ClusterPlan _plan;
    private readonly GanetiVersions _versions;

    public TemplateModel(ClusterPlan plan, GanetiInstallation ganeti) : this(plan, GanetiVersions.Single(ganeti))
    {
    }

    public TemplateModel(ClusterPlan plan, GanetiVersions versions)
    {
        var ganeti = versions.Active;
        _plan = plan;
        _versions = versions;
        _ganeti = GanetiObject(ganeti, versions);
        // Each node's values are independent of the others': build them on every core.
        _nodes = plan.Nodes.AsParallel().ToDictionary(n => n.Name, n => NodeObject(n, plan, ganeti));
        var sandbox = SandboxLayout.For(plan, ganeti);
        _cluster = new ScriptObject
        {
            ["name"] = plan.Name,
            ["address"] = plan.ClusterAddress.ToString(),
            ["network"] = plan.Network.ToString(),
            ["netmask"] = plan.Network.Netmask,
            ["prefix_length"] = plan.Network.PrefixLength,
            // Paths as the sandbox shows them, where node processes use them; host_* where
            // something runs on the machine itself, outside the sandbox.
            ["root"] = plan.SandboxRoot,
            ["nodes_dir"] = plan.SandboxNodesDirectory,
            ["bin_dir"] = NodeEnvironment.BinDir(plan),
            ["sandbox_dir"] = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.SandboxDir),
            ["state_dir"] = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.StateDir),
            // The run-time files the generated scripts read (the tool writes them).
            ["stopped_nodes_file"] = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.StoppedNodes),
            ["clock_skew_dir"] = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.ClockSkewDir),
            ["watcher_passes_file"] = ClusterRootLayout.On(plan.SandboxRoot, ClusterRootLayout.WatcherPasses),
            ["host_sandbox_pid_file"] = ClusterRootLayout.On(plan.Root, ClusterRootLayout.SandboxPid),
            ["host_root"] = plan.Root,
            ["host_state_dir"] = ClusterRootLayout.On(plan.Root, ClusterRootLayout.StateDir),
            ["master"] = _nodes[plan.Master.Name],
            ["nodes"] = new ScriptArray(plan.Nodes.Select(n => _nodes[n.Name])),
            ["instances"] = new ScriptArray(plan.Instances.Select(i => new ScriptObject { ["name"] = i.Name, ["address"] = i.Address.ToString() })),
            ["declared_instances"] = new ScriptArray(plan.DeclaredInstances.Select(i => new ScriptObject { ["name"] = i.Name, ["address"] = i.Address.ToString() })),
            ["enable_metad"] = plan.EnableMetad,
            ["monitoring"] = plan.Monitoring,
            ["durable_writes"] = plan.DurableWrites,
            ["preload"] = plan.Preload,
            ["enter_node"] = Path.Combine(plan.SandboxRoot, NodePreload.Folder, NodeEntry.ProgramName),
            ["rpc_connect_timeout"] = RpcTimeDilation.ConnectTimeout(plan, ganeti),
            ["watcher_interval"] = plan.WatcherInterval,
            ["max_host_entries"] = NodeEnvironment.MaxHostEntries(plan),
            ["storage_mount"] = sandbox.StorageMount,
            ["file_storage_dir"] = sandbox.FileStorageDir,
            ["shared_file_storage_dir"] = sandbox.SharedFileStorageDir,
            ["shared_folder"] = sandbox.SharedFolder,
            ["bridge"] = sandbox.Bridge,
            // The nodes' volume group (null: no LVM) and the disk templates the cluster enables.
            ["volume_group"] = plan.VolumeGroup,
            ["disk_templates"] = new ScriptArray(plan.DiskTemplates),
        };
    }

    public ScriptObject ForCluster() => Globals(null);

    public ScriptObject ForNode(NodePlan node) => Globals(_nodes[node.Name]);

    /// <summary>A node's values for one of the Ganeti versions it installs (scope "version"): <c>ganeti</c> and the node's autoconf are that version's.</summary>
    public ScriptObject ForNodeVersion(NodePlan node, GanetiInstallation version) =>
        version == _versions.Active ? ForNode(node) : Globals(NodeObject(node, _plan, version), GanetiObject(version, _versions));

    private ScriptObject Globals(ScriptObject? node, ScriptObject? ganeti = null)
    {
        var globals = new ScriptObject { ["cluster"] = _cluster, ["ganeti"] = ganeti ?? _ganeti };
        if (node is not null)
            globals["node"] = node;
        return globals;
    }

    private static ScriptObject NodeObject(NodePlan node, ClusterPlan plan, GanetiInstallation ganeti)
    {
        var daemons = DaemonCatalog.For(node, plan, ganeti);
        return new ScriptObject
        {
            ["name"] = node.Name,
            ["address"] = node.Address.ToString(),
            ["root"] = node.SandboxRoot,
            ["host_root"] = node.Root,
            ["prefix"] = node.Prefix,
            ["environment"] = new ScriptArray(NodeEnvironment.Of(node, plan, ganeti).Select(v => new ScriptObject { ["name"] = v.Key, ["value"] = v.Value })),
            ["path"] = string.Join(':', NodeEnvironment.PathOf(node, plan)),
            ["is_master"] = node.IsMaster,
            ["memory_mib"] = node.MemoryMiB,
            ["cpus"] = node.Cpus,
            ["disk_gib"] = node.DiskGiB,
            ["physical_volumes"] = plan.VolumeGroup is null ? 0 : node.PhysicalVolumes,
            // The node's tree folder shown at /dev/VG in its processes (null: no LVM).
            ["volume_group_dir"] = plan.VolumeGroup is { } vg ? Path.Combine(node.SandboxRoot, UserspaceLvm.DeviceFolder(vg)) : null,
            ["share_dir"] = NodeAutoconf.ShareDir(node, ganeti),
            ["autoconf"] = new ScriptArray(NodeAutoconf.For(node, plan, ganeti).Select(a => new ScriptObject { ["name"] = a.Name, ["literal"] = a.PythonLiteral })),
            ["daemons"] = new ScriptArray(daemons.Select(d => new ScriptObject
            {
                ["name"] = d.Name,
                ["executable"] = d.Executable,
                ["arguments"] = string.Join(' ', d.Arguments),
                ["variable"] = d.ArgumentsVariable,
            })),
        };
    }

    private static ScriptObject GanetiObject(GanetiInstallation ganeti, GanetiVersions versions)
    {
        string[] daemonUsers = ["MASTERD", "NODED", "RAPI", "CONFD", "WCONFD", "LUXID", "KVMD", "MOND", "METAD"];
        var users = daemonUsers.Select(d => ganeti.Constants[d + "_USER"]?.GetValue<string>()).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        var groups = daemonUsers.Select(d => ganeti.Constants[d + "_GROUP"]?.GetValue<string>())
            .Append(ganeti.Constants["ADMIN_GROUP"]?.GetValue<string>())
            .Append(ganeti.Constants["DAEMONS_GROUP"]?.GetValue<string>())
            .OfType<string>().Distinct().Order(StringComparer.Ordinal);
        var constants = new ScriptObject();
        foreach (var (name, value) in ganeti.Constants)
            constants[name] = ToScript(value);
        var files = new ScriptObject
        {
            ["daemon_util"] = File.ReadAllText(Path.Combine(ganeti.LibDir, "daemon-util")),
            ["package_init"] = File.ReadAllText(Path.Combine(ganeti.ShareDir, "ganeti", "__init__.py")),
        };
        return new ScriptObject
        {
            ["version"] = ganeti.Version,
            ["version_dir"] = ganeti.VersionDir,
            ["install_root"] = ganeti.InstallRoot,
            // A Ganeti outside the machine's /usr (built from source, unpacked) that lies under
            // /tmp or /var/tmp, which the sandbox replaces with its own: the folder the sandbox
            // binds back, null for none. Its parent where it can: a rebuild swaps a new
            // installation in by renaming, which a bind of the old folder would not show.
            ["scratch_mount"] = SandboxLayout.ScratchMount(ganeti.InstallRoot),
            // The same for every version the nodes install.
            ["scratch_mounts"] = new ScriptArray(versions.All.Select(v => SandboxLayout.ScratchMount(v.InstallRoot)).OfType<string>().Distinct()),
            // Another Debian system whose /usr the sandbox binds over the machine's (GanetiRelease); null: the machine's.
            ["userland"] = ganeti.Userland,
            // As every node sees them, whichever userland it runs (GanetiVersions.AtRuntime).
            ["share_dir"] = versions.AtRuntime(ganeti, ganeti.ShareDir),
            ["lib_dir"] = versions.AtRuntime(ganeti, ganeti.LibDir),
            ["sbin_dir"] = versions.AtRuntime(ganeti, ganeti.SbinDir),
            // Every version the nodes install (VClusterGanetiAlsoInstall), with the /usr a node
            // running it binds; the machine's /usr is also shown at machine_usr (null: not needed).
            ["installed"] = new ScriptArray(versions.All.Select(v => new ScriptObject
            {
                ["version"] = v.Version,
                ["version_dir"] = v.VersionDir,
                ["usr"] = versions.UsrAtRuntime(v),
            })),
            ["mixed_userlands"] = versions.MixedUserlands,
            ["machine_usr"] = versions.HostRootAtRuntime is { } hostRoot ? hostRoot + "/usr" : null,
            ["python"] = ganeti.Python,
            ["python_version"] = ganeti.PythonVersion,
            ["users"] = new ScriptArray(users.Where(u => u != "root")),
            ["groups"] = new ScriptArray(groups.Where(g => g != "root")),
            ["constants"] = constants,
            ["paths"] = ScriptObject.From(ganeti.Paths.ByName().ToDictionary(p => Snake(p.Key), p => (object)p.Value)),
            ["files"] = files,
        };
    }

    private static object? ToScript(JsonNode? value) => value switch
    {
        null => null,
        JsonArray array => new ScriptArray(array.Select(ToScript)),
        JsonObject obj => ScriptObject.From(obj.ToDictionary(p => p.Key, p => ToScript(p.Value))),
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v => v.GetValue<string>(),
        _ => value.ToJsonString(),
    };

    private static string Snake(string camel)
    {
        var text = new StringBuilder();
        foreach (var c in camel)
        {
            if (char.IsUpper(c))
                text.Append('_').Append(char.ToLowerInvariant(c));
            else
                text.Append(c);
        }
        return text.ToString();
    }
}

/// <summary>
/// The build-time values a node's own Ganeti installation changes. Everything else stays as
/// installed: Python reads GANETI_ROOTDIR at run time and prefixes state paths itself.
/// </summary>
public static class NodeAutoconf
{
    public sealed record Value(string Name, string PythonLiteral);

    public static string ShareDir(NodePlan node, GanetiInstallation ganeti) =>
        Path.Combine(node.Prefix, "share", "ganeti", ganeti.VersionDir);

    public static IReadOnlyList<Value> For(NodePlan node, ClusterPlan plan, GanetiInstallation ganeti)
    {
        var libDir = Path.Combine(node.Prefix, "lib", "ganeti");
        var sshDir = Path.Combine(node.SandboxRoot, "etc", "ssh");
        string[] Installed(string name) => ganeti.Constants[name]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();
        string List(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Py)) + "]";
        // Search paths keep the installed entries, with the node's own folders first.
        var installedLib = Path.Combine(ganeti.InstallRoot, "usr/lib/ganeti");
        string Local(string path) => path.StartsWith(installedLib + "/", StringComparison.Ordinal) || path.StartsWith("/usr/lib/ganeti/", StringComparison.Ordinal)
            ? Path.Combine(libDir, path[(path.IndexOf("/lib/ganeti/", StringComparison.Ordinal) + "/lib/ganeti/".Length)..])
            : path;
        var keyTypes = new[] { "dsa", "ecdsa", "rsa" };
        return
        [
            // daemon-util, node-daemon-setup, prepare-node-join... are the node's own copies.
            new("PKGLIBDIR", Py(libDir)),
            new("TOOLSDIR", Py(Path.Combine(libDir, "tools"))),
            new("SHAREDIR", Py(Path.Combine(node.Prefix, "share", "ganeti"))),
            new("VERSIONEDSHAREDIR", Py(ShareDir(node, ganeti))),
            // Every node of the sandbox shares one loopback: a node's own address is its
            // "localhost" (gnt-node list-drbd asks the local confd there, the watcher the
            // local RAPI, verify pings the master IP from it).
            new("IP4_ADDRESS_LOCALHOST", Py(node.Address.ToString())),
            // noded writes to the console; an unprivileged process cannot open /dev/console.
            new("DEV_CONSOLE", Py(Path.Combine(node.SandboxRoot, "dev", "console"))),
            // The cluster's generated OS definition comes first, then the installed ones (noop, ...).
            new("OS_SEARCH_PATH", List(Installed("OS_SEARCH_PATH").Select(Local).Prepend(Path.Combine(plan.SandboxRoot, "os")))),
            new("ES_SEARCH_PATH", List(Installed("ES_SEARCH_PATH").Select(Local))),
            new("IALLOCATOR_SEARCH_PATH", List(Installed("IALLOCATOR_SEARCH_PATH").Select(Local))),
            // Host keys live in the node: a virtual node never reads or writes the host's /etc/ssh.
            new("SSH_CONFIG_DIR", Py(sshDir)),
            .. keyTypes.SelectMany(t => new Value[]
            {
                new($"SSH_HOST_{t.ToUpperInvariant()}_PRIV", Py($"{sshDir}/ssh_host_{t}_key")),
                new($"SSH_HOST_{t.ToUpperInvariant()}_PUB", Py($"{sshDir}/ssh_host_{t}_key.pub")),
            }),
            new("SSH_DAEMON_KEYFILES", "{" + string.Join(", ", keyTypes.Select(t => $"{Py(t)}: ({Py($"{sshDir}/ssh_host_{t}_key")}, {Py($"{sshDir}/ssh_host_{t}_key.pub")})")) + "}"),
            // metad needs port 80 on every node and capabilities set with setcap.
            new("ENABLE_METAD", plan.EnableMetad ? "True" : "False"),
            // As built with --disable-monitoring when the project turns mond off.
            new("ENABLE_MOND", plan.Monitoring && ganeti.Constants["ENABLE_MOND"]?.GetValue<bool>() == true ? "True" : "False"),
        ];
    }

    private static string Py(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
