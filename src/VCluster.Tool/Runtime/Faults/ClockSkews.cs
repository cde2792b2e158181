using System.Globalization;
using VCluster.Engine;
using VCluster.Engine.Layout;

namespace VCluster.Tool.Runtime.Faults;

/// <summary>
/// Clock skew on a node: every process the node starts sees its clock that many seconds off,
/// through Debian's libfaketime. The node's <c>cmd</c> (templates/node/cmd.sbn), which every
/// process of the node comes through (daemons, ssh between nodes, the cluster's cron), reads
/// the node's file in <see cref="ClusterRootLayout.ClockSkewDir"/>; the node's daemons are
/// restarted to take it, as a machine's would be after its clock was set. Only a skewed node
/// has libfaketime in its processes: it wraps every call that reads the time.
/// </summary>
public sealed class ClockSkews(ClusterSession session)
{
    /// <summary>Beyond a few years a skew tells nothing more, and certificates' dates may wrap.</summary>
    public const int MaximumSeconds = 10 * 365 * 24 * 3600;

    private const string Library = "faketime/libfaketime.so.1";

    public void Set(string node, int seconds)
    {
        NetworkFaults.RequireNodes(session.Manifest, [node]);
        if (seconds == 0 || Math.Abs((long)seconds) > MaximumSeconds)
            throw NetworkFaults.Invalid($"a clock skew is a number of seconds, not 0, of at most {MaximumSeconds} either way (10 years), not {seconds}");
        var library = LibraryPath() ?? throw NetworkFaults.Invalid(
            $"a clock skew needs Debian's libfaketime in the nodes' /usr ({UsrLib}/<arch>/{Library}); install it with: sudo apt-get install libfaketime");
        // libfaketime's FAKETIME: an offset in seconds. The monotonic clocks stay true, as a
        // machine's do when its wall clock is set; timers and timeouts then keep their length.
        var file = FileOf(node);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        AtomicFile.WriteAllBytes(file, System.Text.Encoding.UTF8.GetBytes(
            $"export LD_PRELOAD=\"${{LD_PRELOAD:+$LD_PRELOAD }}{library}\" FAKETIME=\"{seconds.ToString("+0;-0", CultureInfo.InvariantCulture)}\" DONT_FAKE_MONOTONIC=1\n"), null);
    }

    /// <summary>Removes <paramref name="node"/>'s skew (null: every node's); returns the nodes that had one.</summary>
    public IReadOnlyList<string> Clear(string? node)
    {
        var skewed = Skewed().Keys.Where(n => node is null || n == node).ToList();
        foreach (var name in skewed)
            File.Delete(FileOf(name));
        return skewed;
    }

    /// <summary>The skews in force: node and seconds.</summary>
    public IReadOnlyDictionary<string, int> Skewed()
    {
        var dir = session.OnHost(ClusterRootLayout.ClockSkewDir);
        var skews = new SortedDictionary<string, int>(StringComparer.Ordinal);
        if (!Directory.Exists(dir))
            return skews;
        foreach (var file in Directory.GetFiles(dir))
        {
            var text = File.ReadAllText(file);
            var start = text.IndexOf("FAKETIME=\"", StringComparison.Ordinal) + "FAKETIME=\"".Length;
            if (start >= "FAKETIME=\"".Length && int.TryParse(text.AsSpan(start, text.IndexOf('"', start) - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
                skews[Path.GetFileName(file)] = seconds;
        }
        return skews;
    }

    /// <summary>A new sandbox starts with true clocks, as every other fault ends with the sandbox.</summary>
    public static void ClearAll(string root)
    {
        var dir = ClusterRootLayout.On(root, ClusterRootLayout.ClockSkewDir);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    public static string Describe(string node, int seconds) =>
        $"skew: {node}'s clock {Math.Abs(seconds)} s {(seconds > 0 ? "ahead" : "behind")}";

    private string FileOf(string node) => Path.Combine(session.OnHost(ClusterRootLayout.ClockSkewDir), node);

    private string UsrLib => Path.Combine(session.Manifest.Ganeti.Userland ?? "/", "usr/lib");

    /// <summary>libfaketime as the nodes see it: in their /usr (another release's, with a release's Ganeti).</summary>
    private string? LibraryPath()
    {
        if (!Directory.Exists(UsrLib))
            return null;
        return Directory.GetDirectories(UsrLib).Select(d => Path.Combine(d, Library)).Where(File.Exists)
            .Select(p => "/usr/lib/" + Path.GetRelativePath(UsrLib, p)).FirstOrDefault();
    }
}
