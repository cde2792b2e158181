using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;

namespace VCluster.Engine.Ganeti;

/// <summary>Where a release's root file system is, and whether this call made it.</summary>
public sealed record GanetiReleaseRoot(string Release, string Root, bool Created, TimeSpan Elapsed)
{
    /// <summary>Written when the root was complete; rewritten only when it is made again.</summary>
    public string Stamp => Path.Combine(Path.GetDirectoryName(Root)!, GanetiRelease.StampFile);
}

/// <summary>
/// Another Debian release's Ganeti with that release's userland (<c>VClusterGanetiRelease</c>):
/// a root file system of the release with Ganeti's packages, made without privileges by
/// <c>mmdebstrap --mode=unshare</c> once and kept in the user's cache. The cluster's sandbox
/// then binds its <c>/usr</c> over the machine's (<see cref="GanetiInstallation.Userland"/>),
/// so every node runs that release's Ganeti with that release's Python and libraries.
/// </summary>
public static partial class GanetiRelease
{
    /// <summary>
    /// What the root holds besides Debian's minimal base: Ganeti (its metapackage pulls in the
    /// versioned Python, Haskell and htools packages), the noop OS, and what the sandbox and
    /// the nodes run from <c>/usr</c> (eng/setup.sh installs the same on the machine), among
    /// them iptables, with which Ganeti's QA sets its firewall rules on a node.
    /// </summary>
    public static readonly IReadOnlyList<string> Packages =
        ["ganeti", "ganeti-os-noop", "libnss-wrapper", "libeatmydata1", "socat", "dnsmasq-base", "iproute2", "procps", "util-linux", "openssh-client", "openssl", "libfaketime", "iptables"];

    /// <summary>Debian's mirror, as mmdebstrap names it by default.</summary>
    public const string DefaultMirror = "http://deb.debian.org/debian";

    // Written last, after the root is complete: what it was made of. A root without it (an
    // interrupted creation) or of other ingredients is made again.
    public const string StampFile = "release.stamp";

    /// <summary>The release's folder in <paramref name="cacheDirectory"/>: its root file system is <c>root</c> in it.</summary>
    public static string Folder(string cacheDirectory, string release) => Path.Combine(cacheDirectory, "releases", release);

    /// <summary>
    /// <see cref="Prepare"/> in the user's cache (<see cref="GanetiInstallation.UserCacheDirectory"/>)
    /// unless <paramref name="cacheDirectory"/> names another, for a project or command line
    /// that may also name a source tree (the two exclude each other).
    /// </summary>
    public static GanetiReleaseRoot PrepareInCache(string release, string? ganetiSource, string? cacheDirectory, Action<string> progress, CancellationToken cancellation)
    {
        if (!string.IsNullOrEmpty(ganetiSource))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiReleaseInvalid,
                $"both a Ganeti release ('{release}') and a Ganeti source tree ('{ganetiSource}') are named: a cluster runs one Ganeti, remove one of VClusterGanetiRelease and VClusterGanetiSource"));
        var cache = string.IsNullOrEmpty(cacheDirectory) ? GanetiInstallation.UserCacheDirectory() : cacheDirectory;
        if (cache is null)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiReleaseFailed,
                $"no folder to keep Debian {release}'s root file system in: set HOME or XDG_CACHE_HOME, or VClusterCacheDirectory"));
        return Prepare(release, cache, progress, cancellation);
    }

    /// <summary>
    /// The root file system of <paramref name="release"/> (a Debian suite or codename such as
    /// <c>trixie</c>), made now unless the cache already holds a complete one of the same packages.
    /// </summary>
    /// <param name="mmdebstrap">The program that makes the root (tests give a stand-in).</param>
    public static GanetiReleaseRoot Prepare(string release, string cacheDirectory, Action<string> progress, CancellationToken cancellation,
        string mirror = DefaultMirror, string mmdebstrap = "mmdebstrap")
    {
        var clock = Stopwatch.StartNew();
        if (!ReleaseName().IsMatch(release))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiReleaseInvalid,
                $"'{release}' is not a Debian release name: use a codename or suite such as trixie, bookworm or unstable"));
        var folder = Folder(cacheDirectory, release);
        var root = Path.Combine(folder, "root");
        var stampFile = Path.Combine(folder, StampFile);
        var ingredients = $"release={release}\nmirror={mirror}\npackages={string.Join(',', Packages)}\n";
        if (File.Exists(stampFile) && File.ReadAllText(stampFile) == ingredients && Directory.Exists(root))
            return new GanetiReleaseRoot(release, root, false, clock.Elapsed);

        Directory.CreateDirectory(folder);
        var log = Path.Combine(folder, "mmdebstrap.log");
        var tar = Path.Combine(folder, "root.tar");
        var fresh = Path.Combine(folder, "root.new");
        progress($"making a root file system of Debian {release} with Ganeti (mmdebstrap --mode=unshare; a few minutes, once; log: {log})");
        File.Delete(stampFile);
        // Devices cannot be made without privileges, and the sandbox brings its own /dev.
        string[] make = [mmdebstrap, "--mode=unshare", "--variant=minbase", "--skip=output/dev", "--skip=output/mknod",
            $"--include={string.Join(',', Packages)}", release, tar, mirror];
        var code = Run(make, folder, log, cancellation);
        if (code != 0)
            throw Failure(release, make, code, log);

        TreeRemoval.Delete(fresh);
        Directory.CreateDirectory(fresh);
        // The root's files become the user's: the sandbox maps only the user's own id.
        string[] unpack = ["tar", "--extract", "--no-same-owner", "--delay-directory-restore", "--file", tar, "--directory", fresh];
        code = Run(unpack, folder, Path.Combine(folder, "unpack.log"), cancellation);
        if (code != 0)
            throw Failure(release, unpack, code, Path.Combine(folder, "unpack.log"));
        if (!File.Exists(Path.Combine(fresh, "usr/bin/python3")))
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiReleaseFailed,
                $"the root file system of Debian {release} made by mmdebstrap has no /usr/bin/python3 (log: {log})", log));

        var previous = Path.Combine(folder, "root.old");
        TreeRemoval.Delete(previous);
        if (Directory.Exists(root))
            Directory.Move(root, previous);
        Directory.Move(fresh, root);
        TreeRemoval.Delete(previous);
        File.Delete(tar);
        AtomicFile.WriteAllBytes(stampFile, Encoding.UTF8.GetBytes(ingredients), null);
        return new GanetiReleaseRoot(release, root, true, clock.Elapsed);
    }

    private static VClusterException Failure(string release, IReadOnlyList<string> command, int code, string log)
    {
        var lines = File.Exists(log) ? File.ReadAllLines(log) : [];
        var index = Array.FindLastIndex(lines, l => l.StartsWith("E:", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase));
        if (index < 0)
            index = Array.FindLastIndex(lines, l => l.Trim().Length > 0);
        var why = index < 0 ? "(no output)" : lines[index].Trim();
        var hint = code == 127 || why.Contains("newuidmap", StringComparison.Ordinal) || why.Contains("subuid", StringComparison.Ordinal)
            ? " mmdebstrap needs Debian's mmdebstrap and uidmap packages and subordinate ids for this user in /etc/subuid and /etc/subgid " +
              "(sudo apt-get install mmdebstrap uidmap; sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER)."
            : "";
        return new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiReleaseFailed,
            $"making the root file system of Debian {release} failed: {Path.GetFileName(command[0])} exited with {code}: \"{why}\" (log: {log}).{hint}",
            log, index < 0 ? 0 : index + 1));
    }

    private static int Run(IReadOnlyList<string> command, string folder, string log, CancellationToken cancellation)
    {
        try
        {
            return StepProcess.Run(command, folder, log, cancellation).ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            File.WriteAllText(log, $"cannot run {command[0]}: {e.Message}\n");
            return 127;
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9.-]{1,40}$")]
    private static partial Regex ReleaseName();
}
