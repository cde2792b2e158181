using System.Text;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Engine.Model;
using VCluster.Engine.Rendering;

namespace VCluster.Engine.Layout;

/// <summary>
/// Everything a cluster needs on disk, as <see cref="LayoutEntry"/> values relative to the
/// cluster root: per node its ensure-dirs layout and its install prefix, plus the rendered
/// templates of both scopes. Computes only; <see cref="LayoutWriter"/> writes.
/// </summary>
public sealed class ClusterLayoutBuilder(ClusterPlan plan, GanetiVersions versions, TemplateSet templates)
{
    private const int DirMode = 0b111_101_101; // 0755
    private readonly GanetiInstallation ganeti = versions.Active;
    private readonly IReadOnlyList<(GanetiInstallation Version, InstalledTree Tree)> _installed =
        versions.All.Select(v => (v, InstalledTree.Read(v))).ToList();
    private readonly SandboxLayout _sandbox = SandboxLayout.For(plan, versions.Active);

    public ClusterLayoutBuilder(ClusterPlan plan, GanetiInstallation ganeti, TemplateSet templates)
        : this(plan, GanetiVersions.Single(ganeti), templates)
    {
    }

    /// <summary>The cluster's name map (templates/cluster/hosts.sbn), relative to the cluster root.</summary>
    public const string HostsMap = ClusterRootLayout.Hosts;

    /// <summary>
    /// Where a node's own /etc lives: the upper layer of an overlay over the machine's /etc that
    /// the sandbox mounts at merged/ and each node process binds over /etc (templates/cluster/
    /// sandbox.sbn, templates/node/cmd.sbn). What the node writes in /etc lands here.
    /// </summary>
    public const string EtcOverlay = "etc-overlay";

    public IReadOnlyList<LayoutEntry> Build(CancellationToken cancellation = default)
    {
        var model = new TemplateModel(plan, versions);
        var clusterFiles = templates.Render(TemplateScope.Cluster, model.ForCluster()).ToList();
        var perNode = new List<LayoutEntry>[plan.Nodes.Count];
        // Nodes are independent; rendering is the costly part, so spread it over the cores.
        try
        {
            Parallel.For(0, plan.Nodes.Count, new ParallelOptions { CancellationToken = cancellation },
                i => perNode[i] = BuildNode(plan.Nodes[i], model));
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(x => x is VClusterException))
        {
            // Every node renders the same templates: report each distinct error once.
            throw new VClusterException(e.Flatten().InnerExceptions.Cast<VClusterException>()
                .SelectMany(x => x.Diagnostics).Distinct().ToList());
        }

        var entries = new List<LayoutEntry>(perNode.Sum(n => n.Count) + 32);
        var cluster = new EntryList("");
        // Every node's file storage is its own (SandboxLayout); shared-file storage is shared.
        cluster.Directory(Path.GetRelativePath(plan.SandboxRoot, _sandbox.SharedFolder), DirMode);
        foreach (var (version, tree) in _installed)
        {
            foreach (var (name, content) in tree.EntryPoints)
                cluster.File(EntryPointCopy(version, name), content, DirMode);
        }
        cluster.File(Path.Combine(NodePreload.Folder, NodePreload.LibraryName), NodePreload.ReadLibrary(), DirMode);
        cluster.File(Path.Combine(NodePreload.Folder, NodeEntry.ProgramName), NodeEntry.ReadProgram(), DirMode);
        foreach (var (name, content) in SandboxScripts.All)
            cluster.File(Path.Combine(SandboxScripts.Folder, name), content, 0b110_100_100);
        foreach (var (output, text, mode) in clusterFiles)
            cluster.File(output, text, mode);
        // Every LVM command is the one user-space LVM program (bin/lvm, templates/cluster/lvm.sbn), as real LVM's are links to lvm.
        foreach (var command in UserspaceLvm.Commands)
            cluster.Symlink(Path.Combine("bin", command), UserspaceLvm.Program);
        entries.AddRange(cluster.Entries);
        foreach (var node in perNode)
            entries.AddRange(node);
        return entries;
    }

    private List<LayoutEntry> BuildNode(NodePlan node, TemplateModel model)
    {
        var list = new EntryList(Path.GetRelativePath(plan.Root, node.Root));

        // The ensure-dirs layout of the installed version, with its modes. Files are left to
        // the daemons: ensure-dirs only fixes the modes of files that already exist.
        foreach (var entry in ganeti.EnsureDirs.Where(e => e.Kind == "dir"))
            list.Directory(entry.Path.TrimStart('/'), entry.Mode);
        // What ensure-dirs expects to exist, or does not create: storage, exports, the console.
        // The node's disk: its tree's storage mount is mounted over the machine's (SandboxLayout);
        // the shared-file folder is where the cluster's shared folder is mounted.
        list.Directory(_sandbox.FileStorageDir.TrimStart('/'), DirMode);
        list.Directory(_sandbox.SharedFileStorageDir.TrimStart('/'), DirMode);
        list.Directory(ganeti.Paths.ExportDir.TrimStart('/'), DirMode);
        list.Directory(ganeti.Paths.LockDir.TrimStart('/'), DirMode);
        list.Directory(ganeti.Paths.BackupDir.TrimStart('/'), DirMode);
        list.Directory("etc/ganeti", DirMode);
        list.Directory("etc/default", DirMode);
        list.Directory("dev", DirMode);
        list.Directory("etc/ssh", DirMode);
        // The node's root user's home: nothing of a virtual node touches the real ~root.
        list.Directory("root", 0b111_000_000);
        list.Seed("dev/console", 0b110_000_000);
        list.Directory(Path.Combine(EtcOverlay, "work"), DirMode);
        list.Directory(Path.Combine(EtcOverlay, "merged"), DirMode);
        // The volume group's devices: the user-space LVM keeps its metadata and logical volumes
        // here, and every process of the node sees the devices at /dev/VG (templates/node/cmd.sbn).
        if (plan.VolumeGroup is { } volumeGroup)
        {
            // All of it exists before the node runs a command, so the program writes nothing until
            // a volume group changes (templates/cluster/lvm.sbn, Store).
            list.Directory(UserspaceLvm.Folder, 0b111_000_000);
            list.Directory(Path.GetDirectoryName(UserspaceLvm.DeviceFolder(volumeGroup))!, DirMode);
            list.Directory(UserspaceLvm.DeviceFolder(volumeGroup), DirMode);
            list.Directory(Path.GetDirectoryName(UserspaceLvm.InactiveFolder(volumeGroup))!, 0b111_000_000);
            list.Directory(UserspaceLvm.InactiveFolder(volumeGroup), 0b111_000_000);
            list.Seed(UserspaceLvm.LockFile, 0b110_100_100);
        }
        // Names resolve as on a machine: its own /etc/hosts, then the cluster's DNS.
        list.File(Path.Combine(EtcOverlay, "upper", "hosts"), NameService.NodeHosts(node), 0b110_100_100);
        list.File(Path.Combine(EtcOverlay, "upper", "resolv.conf"), NameService.ResolvConf, 0b110_100_100);
        list.File(Path.Combine(EtcOverlay, "upper", "nsswitch.conf"), NameService.NsSwitch, 0b110_100_100);

        BuildPrefix(node, list);

        foreach (var (output, text, mode) in templates.Render(TemplateScope.Node, model.ForNode(node)))
            list.File(output, text, mode);
        // Each installed version's own files (its _constants.py, daemon-util...); versions that
        // share a Python share its user site, whose file is the same for all of them.
        var versionFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var version in versions.All)
        {
            foreach (var (output, text, mode) in templates.Render(TemplateScope.Version, model.ForNodeVersion(node, version)))
            {
                if (versionFiles.Add(output))
                    list.File(output, text, mode);
            }
        }
        return list.Entries;
    }

    /// <summary>
    /// The cluster's one copy of an installed entry point; every node's copy is a hard link of
    /// it where the file system allows (one link(2) instead of a file written per node).
    /// </summary>
    public const string EntryPointsDir = ClusterRootLayout.EntryPoints;

    private static string EntryPointCopy(GanetiInstallation version, string name) => Path.Combine(EntryPointsDir, version.VersionDir, name);

    /// <summary>
    /// The node's own Ganeti installation, laid out as Debian lays out its packages, for every
    /// installed version: <c>share/ganeti/V</c> and <c>lib/ganeti/V</c> per version, and the
    /// unversioned entries (<c>sbin/gnt-*</c>, <c>lib/ganeti/daemon-util</c>, ...) through the
    /// node's own <c>/etc/ganeti/lib</c> and <c>share</c> links, which the node's join writes
    /// and <c>gnt-cluster upgrade</c> switches (Ganeti's SYSCONFDIR carries the node's root).
    /// Python runs a script with the script's real folder first on sys.path, so entry points
    /// are copies (a symbolic link would import the system package; a hard link has no other
    /// real folder); the package folder holds only the node's generated <c>__init__.py</c>
    /// (which adds the installed package to <c>__path__</c>) and <c>_constants.py</c>, so every
    /// other module, and its compiled cache, is the installed one; binaries and helpers stay
    /// links. Links name paths as the node's processes see them, inside the sandbox.
    /// </summary>
    private void BuildPrefix(NodePlan node, EntryList list)
    {
        var prefix = Path.GetRelativePath(node.SandboxRoot, node.Prefix);
        var versionLinks = Path.Combine(node.SandboxRoot, "etc", "ganeti");
        var unversioned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (version, tree) in _installed)
        {
            var share = Path.Combine(prefix, "share", "ganeti", version.VersionDir);
            foreach (var (name, content) in tree.EntryPoints)
                list.File(Path.Combine(share, name), content, DirMode, sameAs: EntryPointCopy(version, name));
            // The node's _constants.py (a template) imports the installed constants under this name.
            list.Symlink(Path.Combine(share, "ganeti", "_installed_constants.py"), versions.AtRuntime(version, Path.Combine(version.ShareDir, "ganeti", "_constants.py")));

            // lib/ganeti/V as Debian's /usr/lib/ganeti/V: the installed files, but the node's own
            // daemon-util (a template of scope "version").
            var lib = Path.Combine(prefix, "lib", "ganeti", version.VersionDir);
            foreach (var (relative, installed) in tree.VersionedLinks)
                list.Symlink(Path.Combine(lib, relative), versions.AtRuntime(version, installed));

            // Debian's unversioned entries go through "default" links to /etc/ganeti; the node's
            // go through its own. The first version that has an entry names it.
            string Through(InstalledLink link) => link.Kind == InstalledLinkKind.Share
                ? Path.Combine(versionLinks, "share", link.Name)
                : Path.Combine(versionLinks, "lib", link.Name);
            foreach (var (relative, link) in tree.PkgLibLinks)
                unversioned.TryAdd(Path.Combine(prefix, "lib", "ganeti", relative), Through(link));
            foreach (var (name, link) in tree.SbinLinks)
                unversioned.TryAdd(Path.Combine(prefix, "sbin", name), Through(link));
        }
        foreach (var (path, target) in unversioned)
            list.Symlink(path, target);

        // The node's version links start at the active version; after that they are Ganeti's
        // (its join writes them, gnt-cluster upgrade switches them): seeds, never rewritten.
        list.SeedSymlink(Path.Combine("etc", "ganeti", "lib"), Path.Combine(node.Prefix, "lib", "ganeti", ganeti.VersionDir));
        list.SeedSymlink(Path.Combine("etc", "ganeti", "share"), Path.Combine(node.Prefix, "share", "ganeti", ganeti.VersionDir));
        // What goes through the node's /etc/ganeti (Debian's /usr/lib/ganeti/default, /usr/sbin/gnt-*,
        // htools) goes through the same links.
        list.Symlink(Path.Combine(EtcOverlay, "upper", "ganeti", "lib"), Path.Combine(versionLinks, "lib"));
        list.Symlink(Path.Combine(EtcOverlay, "upper", "ganeti", "share"), Path.Combine(versionLinks, "share"));
    }

    /// <summary>
    /// Collects entries under one base folder. Parent folders need no entries of their own:
    /// the writer implies every parent of what it writes.
    /// </summary>
    private sealed class EntryList(string baseDir)
    {
        public List<LayoutEntry> Entries { get; } = new(256);

        public void Directory(string relative, int mode) => Entries.Add(LayoutEntry.Directory(Join(relative), mode));

        public void File(string relative, string text, int mode) => File(relative, Encoding.UTF8.GetBytes(text), mode);

        public void File(string relative, byte[] content, int mode, string? sameAs = null) =>
            Entries.Add(LayoutEntry.File(Join(relative), content, mode, sameAs));

        public void Symlink(string relative, string target) => Entries.Add(LayoutEntry.Symlink(Join(relative), target));

        public void Seed(string relative, int mode) => Entries.Add(LayoutEntry.Seed(Join(relative), mode));

        public void SeedSymlink(string relative, string target) => Entries.Add(LayoutEntry.SeedSymlink(Join(relative), target));

        private string Join(string relative) => baseDir.Length == 0 ? relative : Path.Combine(baseDir, relative);
    }
}

internal enum InstalledLinkKind
{
    /// <summary>Into the versioned Python tree (share/ganeti/default/NAME).</summary>
    Share,

    /// <summary>Into the versioned lib tree (lib/ganeti/default/NAME).</summary>
    Lib,

    /// <summary>Anything else: kept as installed.</summary>
    Other,
}

internal sealed record InstalledLink(InstalledLinkKind Kind, string Name);

/// <summary>The installed files the prefix mirrors, read once per generation, not once per node.</summary>
internal sealed class InstalledTree
{
    public required IReadOnlyList<(string Name, byte[] Content)> EntryPoints { get; init; }
    public required IReadOnlyList<(string Relative, InstalledLink Link)> PkgLibLinks { get; init; }
    public required IReadOnlyList<(string Name, InstalledLink Link)> SbinLinks { get; init; }

    /// <summary>
    /// What the prefix's lib/ganeti/V links to in Debian's /usr/lib/ganeti/V (relative path,
    /// installed path): every helper but daemon-util, which is the node's own, and the daemons'
    /// and htools' folders.
    /// </summary>
    public required IReadOnlyList<(string Relative, string Installed)> VersionedLinks { get; init; }

    public static InstalledTree Read(GanetiInstallation ganeti)
    {
        var entryPoints = new DirectoryInfo(ganeti.ShareDir).EnumerateFiles()
            .Where(f => f.LinkTarget is null && IsPythonScript(f.FullName))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => (f.Name, File.ReadAllBytes(f.FullName))).ToList();

        // Debian's unversioned /usr/lib/ganeti and /usr/sbin point through "default" links at
        // one version; the prefix points at the same things of the version in use.
        var pkgLib = Path.Combine(ganeti.InstallRoot, "usr/lib/ganeti");
        var pkgLibLinks = new List<(string, InstalledLink)>();
        foreach (var sub in new[] { "", "tools", "iallocators" })
        {
            var dir = Path.Combine(pkgLib, sub);
            if (!Directory.Exists(dir))
                continue;
            foreach (var file in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                if (file.LinkTarget is { } target && file.Name != "default" && Classify(target) is { Kind: not InstalledLinkKind.Other } link)
                    pkgLibLinks.Add((Path.Combine(sub, file.Name), link));
            }
        }
        var sbinLinks = new DirectoryInfo(Path.Combine(ganeti.InstallRoot, "usr/sbin")).EnumerateFileSystemInfos()
            .Where(f => f.LinkTarget is not null && (f.Name.StartsWith("ganeti-", StringComparison.Ordinal) || f.Name.StartsWith("gnt-", StringComparison.Ordinal)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => (f.Name, Classify(f.LinkTarget!)))
            .Where(l => l.Item2.Kind != InstalledLinkKind.Other).ToList();
        var versioned = Path.Combine(ganeti.InstallRoot, "usr/lib/ganeti", ganeti.VersionDir);
        var versionedLinks = new DirectoryInfo(ganeti.LibDir).EnumerateFileSystemInfos()
            .Where(e => e.Name != "daemon-util")
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .Select(e => (Path.Combine("usr/lib/ganeti", e.Name), e.FullName))
            .Concat(new[] { "usr/sbin", "usr/bin" }.Where(f => Directory.Exists(Path.Combine(versioned, f))).Select(f => (f, Path.Combine(versioned, f))))
            .ToList();
        return new InstalledTree { EntryPoints = entryPoints, PkgLibLinks = pkgLibLinks, SbinLinks = sbinLinks, VersionedLinks = versionedLinks };
    }

    private static InstalledLink Classify(string target)
    {
        // ".../share/ganeti/default/NAME" or ".../lib/ganeti/default/usr/...": "default" is
        // Debian's pointer at the active version.
        var i = target.IndexOf("default/", StringComparison.Ordinal);
        if (i < 0)
            return new InstalledLink(InstalledLinkKind.Other, target);
        var rest = target[(i + "default/".Length)..];
        return new InstalledLink(rest.StartsWith("usr/", StringComparison.Ordinal) ? InstalledLinkKind.Lib : InstalledLinkKind.Share, rest);
    }

    private static bool IsPythonScript(string path)
    {
        Span<byte> head = stackalloc byte[32];
        using var stream = File.OpenRead(path);
        var read = stream.Read(head);
        return Encoding.ASCII.GetString(head[..read]).StartsWith("#!", StringComparison.Ordinal)
            && Encoding.ASCII.GetString(head[..read]).Contains("python", StringComparison.Ordinal);
    }
}
