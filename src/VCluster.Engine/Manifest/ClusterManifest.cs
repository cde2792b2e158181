using System.Text.Json;
using System.Text.Json.Serialization;
using VCluster.Engine.Diagnostics;

namespace VCluster.Engine.Manifest;

/// <summary>
/// The machine-readable description of a generated cluster (<c>vcluster.json</c> in the
/// cluster root). The tool reads only this: it never evaluates the project.
/// </summary>
public sealed class ClusterManifest
{
    public const string FileName = "vcluster.json";
    public const int CurrentSchema = 4;

    public int Schema { get; set; } = CurrentSchema;
    public string Name { get; set; } = "";
    /// <summary>The cluster root on this machine.</summary>
    public string Root { get; set; } = "";

    /// <summary>The cluster root inside the sandbox, where every node process sees it.</summary>
    public string SandboxRoot { get; set; } = "";
    public string Network { get; set; } = "";
    public string Netmask { get; set; } = "";
    public int PrefixLength { get; set; }
    public string ClusterAddress { get; set; } = "";
    public string Master { get; set; } = "";
    public string? SourceProject { get; set; }
    public ManifestGaneti Ganeti { get; set; } = new();
    public ManifestSandbox Sandbox { get; set; } = new();

    /// <summary>The disk templates the cluster enables (gnt-cluster init --enabled-disk-templates), in Ganeti's order.</summary>
    public List<string> DiskTemplates { get; set; } = [];

    /// <summary>Every node's volume group (user-space LVM), or null: the cluster has no LVM.</summary>
    public ManifestLvm? Lvm { get; set; }
    public List<ManifestNode> Nodes { get; set; } = [];
    /// <summary>Spare instance names and addresses (VClusterInstanceCount), for instances made by hand.</summary>
    public List<ManifestInstance> Instances { get; set; } = [];

    /// <summary>Declared instances (VClusterInstance), which <c>up</c> creates where the cluster lacks them.</summary>
    public List<ManifestDeclaredInstance> DeclaredInstances { get; set; } = [];

    public ManifestNode Node(string name) =>
        Nodes.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidNodeName,
            $"cluster '{Name}' has no node '{name}' (nodes: {string.Join(", ", Nodes.Select(n => n.Name))})"));

    public static ClusterManifest Load(string path)
    {
        if (!File.Exists(path))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ManifestMissing,
                $"no cluster manifest at '{path}'; run 'dotnet build -t:VClusterGenerate' in the cluster's project, or 'dotnet vcluster generate'"));
        try
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllText(path), ManifestJsonContext.Default.ClusterManifest)!;
            if (manifest.Schema != CurrentSchema)
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ManifestMissing,
                    $"manifest '{path}' has schema {manifest.Schema}; this tool reads schema {CurrentSchema}: regenerate it", path));
            return manifest;
        }
        catch (JsonException e)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ManifestMissing,
                $"manifest '{path}' is not valid JSON: {e.Message}", path, (int)(e.LineNumber ?? -1) + 1));
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, ManifestJsonContext.Default.ClusterManifest);
}

public sealed class ManifestGaneti
{
    public string Version { get; set; } = "";
    public string InstallRoot { get; set; } = "";
    public string ShareDir { get; set; } = "";
    public string SbinDir { get; set; } = "";
    public string Python { get; set; } = "";

    /// <summary>The source tree this Ganeti was built from (VClusterGanetiSource); its qa/ is the QA suite. Null: Debian's packages.</summary>
    public string? Source { get; set; }

    /// <summary>The root file system whose /usr the nodes run with (VClusterGanetiRelease). Null: this machine's.</summary>
    public string? Userland { get; set; }

    /// <summary>Every Ganeti version the nodes install, the one the cluster was made with first (VClusterGanetiAlsoInstall). Null: that one alone.</summary>
    public List<ManifestGanetiVersion>? Installed { get; set; }
}

/// <summary>One of the Ganeti versions the nodes install (GanetiVersions).</summary>
public sealed class ManifestGanetiVersion
{
    public string Version { get; set; } = "";

    /// <summary>"3.1": the folder the node's version links name.</summary>
    public string VersionDir { get; set; } = "";

    /// <summary>Its installed Python tree, on this machine and in the sandbox alike.</summary>
    public string ShareDir { get; set; } = "";

    public string? Userland { get; set; }
}

public sealed class ManifestSandbox
{
    /// <summary>Folder of the ssh/scp shims, first on every node's PATH (inside the sandbox).</summary>
    public string BinDir { get; set; } = "";

    /// <summary>nss_wrapper's group and hosts maps (inside the sandbox).</summary>
    public string Group { get; set; } = "";
    public string Hosts { get; set; } = "";

    /// <summary>The tool's run-time state (on this machine).</summary>
    public string StateDir { get; set; } = "";

    /// <summary>The script that builds the sandbox and then holds it (on this machine).</summary>
    public string Setup { get; set; } = "";

    /// <summary>The cluster's cron, running ganeti-watcher on every node (inside the sandbox), and its period in seconds (0: off).</summary>
    public string Watcher { get; set; } = "";
    public int WatcherInterval { get; set; }

    /// <summary>Mounted, per node, from the node's tree over the machine's folder (see SandboxLayout).</summary>
    public string StorageMount { get; set; } = "";
    public string FileStorageDir { get; set; } = "";
    public string SharedFileStorageDir { get; set; } = "";

    /// <summary>The cluster's folder every node sees as <see cref="SharedFileStorageDir"/>.</summary>
    public string SharedFolder { get; set; } = "";

    /// <summary>The bridge that instance NICs use, inside the sandbox's network namespace.</summary>
    public string Bridge { get; set; } = "";
}

public sealed class ManifestNode
{
    public string Name { get; set; } = "";
    public string Address { get; set; } = "";
    public bool Master { get; set; }

    /// <summary>The node's tree on this machine: its files, logs and pid files are read there.</summary>
    public string Root { get; set; } = "";

    /// <summary>The node's tree inside the sandbox (GANETI_ROOTDIR).</summary>
    public string SandboxRoot { get; set; } = "";

    /// <summary>The node's install prefix inside the sandbox.</summary>
    public string Prefix { get; set; } = "";
    public int MemoryMiB { get; set; }
    public int Cpus { get; set; }
    public int DiskGiB { get; set; }

    /// <summary>Physical volumes of the node's volume group, where the cluster has LVM.</summary>
    public int PhysicalVolumes { get; set; }

    /// <summary>The environment that makes a process this node (GANETI_ROOTDIR, ...), without PATH.</summary>
    public Dictionary<string, string> Environment { get; set; } = [];

    /// <summary>Folders to put first on PATH, in order (inside the sandbox).</summary>
    public List<string> Path { get; set; } = [];
    public List<ManifestDaemon> Daemons { get; set; } = [];
}

/// <summary>The cluster's LVM: the volume group every node has (Ganeti's --vg-name).</summary>
public sealed class ManifestLvm
{
    public string VolumeGroup { get; set; } = "";

    /// <summary>The program every LVM command of a node runs (inside the sandbox).</summary>
    public string Program { get; set; } = "";
}

/// <summary>A daemon: its executable as the node runs it, its socket, log and pid file on this machine.</summary>
public sealed class ManifestDaemon
{
    public string Name { get; set; } = "";
    public string Executable { get; set; } = "";
    public List<string> Arguments { get; set; } = [];

    /// <summary>allNodes, masterCandidates or master.</summary>
    public Model.DaemonRole Role { get; set; }
    public string? Protocol { get; set; }
    public int Port { get; set; }
    public string? Socket { get; set; }
    public string LogFile { get; set; } = "";
    public string PidFile { get; set; } = "";
}

public sealed record ManifestInstance(string Name, string Address);

/// <summary>
/// A declared instance: memory and CPUs null where the cluster's defaults apply, node null
/// where Ganeti's allocator places it, state "up" or "down"; item is the declaring item.
/// </summary>
public sealed record ManifestDeclaredInstance(string Name, string Address, string Item, string Template, int? MemoryMiB, int? Cpus,
    int DiskGiB, string? Node, string? Secondary, string State, string Os)
{
    public const string Up = "up";
    public const string Down = "down";
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
