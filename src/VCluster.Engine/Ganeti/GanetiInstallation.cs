using System.Text.Json;
using System.Text.Json.Nodes;
using VCluster.Engine.Diagnostics;

namespace VCluster.Engine.Ganeti;

/// <summary>
/// One installed Ganeti: where its parts are and the build-time ("autoconf") values compiled
/// into it. Found at Debian's standard location (install root "/") or under a folder where
/// Ganeti's Debian packages were unpacked (<c>dpkg -x</c>), so that generated trees follow
/// whatever version is installed.
/// </summary>
public sealed class GanetiInstallation
{
    /// <summary>Ganeti versions whose layout and daemons this SDK knows.</summary>
    public static readonly Version MinimumVersion = new(3, 0);
    public static readonly Version MaximumVersionExclusive = new(3, 2);

    private GanetiInstallation(string installRoot, string shareDir, GanetiProbeResult probe, string? userland)
    {
        InstallRoot = installRoot;
        Userland = userland;
        ShareDir = shareDir;
        VersionDir = Path.GetFileName(shareDir);
        Version = probe.Version;
        LibDir = Path.Combine(installRoot, "usr/lib/ganeti", VersionDir, "usr/lib/ganeti");
        SbinDir = Path.Combine(installRoot, "usr/lib/ganeti", VersionDir, "usr/sbin");
        Python = ReadInterpreter(Path.Combine(shareDir, "gnt-cluster"));
        PythonVersion = probe.Python;
        Constants = probe.Constants;
        Paths = probe.Paths;
        EnsureDirs = probe.EnsureDirs;
    }

    public string InstallRoot { get; }

    /// <summary>
    /// The root file system whose <c>/usr</c> the nodes run with, when the installation is a
    /// whole Debian system (another release's, <see cref="GanetiRelease"/>) rather than Ganeti's
    /// packages for this machine's: its Python and libraries, not the machine's. Null: the machine's.
    /// </summary>
    public string? Userland { get; }

    /// <summary>The versioned Python tree, e.g. /usr/share/ganeti/3.0.</summary>
    public string ShareDir { get; }

    /// <summary>"3.0": the folder name Debian gives each installed major.minor.</summary>
    public string VersionDir { get; }

    /// <summary>"3.0.2": read from the installation's own constants.</summary>
    public string Version { get; }

    /// <summary>Versioned helper scripts (daemon-util, net-common, tools/...).</summary>
    public string LibDir { get; }

    /// <summary>Versioned daemons, among them the Haskell ones.</summary>
    public string SbinDir { get; }

    /// <summary>The interpreter Ganeti's scripts name in their first line.</summary>
    public string Python { get; }

    /// <summary>"3.11": the interpreter's version, which names its user site folder.</summary>
    public string PythonVersion { get; }

    /// <summary>Every build-time constant of the installed <c>_constants.py</c>, as JSON values.</summary>
    public JsonObject Constants { get; }

    /// <summary>Paths as the installed pathutils computes them without GANETI_ROOTDIR.</summary>
    public GanetiPaths Paths { get; }

    /// <summary>What the installed ensure-dirs would create or fix, in its order.</summary>
    public IReadOnlyList<EnsureDirsEntry> EnsureDirs { get; }

    /// <summary>The files whose change means another installation: MSBuild uses them as inputs.</summary>
    public static IEnumerable<string> FingerprintFiles(string shareDir) =>
        [Path.Combine(shareDir, "ganeti", "_constants.py"), Path.Combine(shareDir, "ganeti", "tools", "ensure_dirs.py")];

    /// <summary>
    /// Where probe results are cached unless a caller names a folder: the user's cache
    /// (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>) under <c>vcluster</c>. A probe result
    /// depends only on the installation, whose files the cache key covers, so every project
    /// and cluster of the user shares it and a clean build does not probe again. Null
    /// without a home.
    /// </summary>
    public static string? UserCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "vcluster");
        var home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrEmpty(home) || !Path.IsPathRooted(home) ? null : Path.Combine(home, ".cache", "vcluster");
    }

    /// <summary>
    /// Finds the newest supported Ganeti under <paramref name="installRoot"/>. The probe (one
    /// Python process) runs only when the installation changed since the cached result.
    /// </summary>
    public static GanetiInstallation Discover(string installRoot, string? cacheDirectory)
    {
        installRoot = string.IsNullOrEmpty(installRoot) ? "/" : Path.GetFullPath(installRoot);
        var shareRoot = Path.Combine(installRoot, "usr/share/ganeti");
        var candidates = Directory.Exists(shareRoot)
            ? Directory.GetDirectories(shareRoot)
                .Where(d => File.Exists(Path.Combine(d, "ganeti", "_constants.py")) && System.Version.TryParse(Path.GetFileName(d), out _))
                .OrderByDescending(d => System.Version.Parse(Path.GetFileName(d)))
                .ToList()
            : [];
        if (candidates.Count == 0)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiNotInstalled,
                $"no Ganeti installation under '{installRoot}' (looked for {shareRoot}/<version>/ganeti/_constants.py). " +
                "Install it with: sudo apt-get install ganeti ganeti-3.0 ganeti-haskell-3.0 ganeti-htools-3.0 ganeti-os-noop " +
                "(or set VClusterGanetiRoot to a folder where those packages were unpacked with dpkg -x)"));

        var supported = candidates.FirstOrDefault(d =>
        {
            var v = System.Version.Parse(Path.GetFileName(d));
            return v >= MinimumVersion && v < MaximumVersionExclusive;
        });
        if (supported is null)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiUnsupportedVersion,
                $"Ganeti {string.Join(", ", candidates.Select(Path.GetFileName))} under '{installRoot}' is not supported; " +
                $"VCluster.Sdk supports {MinimumVersion.Major}.{MinimumVersion.Minor} to {MaximumVersionExclusive.Major}.{MaximumVersionExclusive.Minor - 1} (Debian bookworm's ganeti-3.0, trixie's ganeti-3.1)"));

        var userland = IsRootFileSystem(installRoot) ? installRoot : null;
        var probe = GanetiProbe.Load(supported, ReadInterpreter(Path.Combine(supported, "gnt-cluster")), cacheDirectory, userland);
        var installation = new GanetiInstallation(installRoot, supported, probe, userland);
        foreach (var required in new[] { installation.LibDir, installation.SbinDir })
        {
            if (!Directory.Exists(required))
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiNotInstalled,
                    $"Ganeti {installation.Version} under '{installRoot}' is incomplete: '{required}' is missing. " +
                    $"Install it with: sudo apt-get install ganeti-{installation.VersionDir} ganeti-haskell-{installation.VersionDir}"));
        }
        return installation;
    }

    /// <summary>
    /// A whole Debian system (mmdebstrap's, debootstrap's), not a <c>dpkg -x</c> folder of
    /// Ganeti's packages: it has its own Python and says which system it is.
    /// </summary>
    public static bool IsRootFileSystem(string installRoot) =>
        installRoot != "/" && File.Exists(Path.Combine(installRoot, "usr/bin/python3")) && File.Exists(Path.Combine(installRoot, "etc/os-release"));

    internal static string ReadInterpreter(string script)
    {
        try
        {
            using var reader = new StreamReader(script);
            var first = reader.ReadLine() ?? "";
            if (first.StartsWith("#!", StringComparison.Ordinal))
                return first[2..].Trim().Split(' ')[0];
        }
        catch (IOException)
        {
        }
        return "/usr/bin/python3";
    }
}

/// <summary>One path of the installed ensure-dirs: kind is "dir", "file" or "queue".</summary>
public sealed record EnsureDirsEntry(string Path, string Kind, int Mode);
