using VCluster.Tool.Runtime.Resources;
using VCluster.Tool.Runtime.Processes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Qa;

/// <summary>
/// Ganeti's QA suite (qa/ of Ganeti's source) of the installed version: a folder the user
/// names, else the source tree's the cluster's Ganeti was built from, else the one fetched once from Debian's source package into the user's cache
/// (<c>apt-get source --download-only ganeti</c>, which needs a deb-src entry: eng/setup.sh
/// adds one).
/// </summary>
public static class QaSuite
{
    /// <summary>The qa folder of the Ganeti source tree the cluster's Ganeti was built from; null without one.</summary>
    public static string? OfSourceTree(string? sourceTree) => sourceTree is null ? null : Path.Combine(sourceTree, "qa");

    public static string Locate(string? folder, string version, IProcessHost host, TextWriter progress, CancellationToken cancellation)
    {
        if (folder is not null)
            return RequireSuite(Path.GetFullPath(folder));
        var cache = Path.Combine(GanetiInstallation.UserCacheDirectory() ?? Path.Combine(Path.GetTempPath(), "vcluster"), "ganeti-qa", version);
        var qa = Path.Combine(cache, "qa");
        if (File.Exists(Path.Combine(qa, "ganeti-qa.py")))
            return qa;

        progress.WriteLine($"fetching Ganeti {version}'s source (its QA suite) from Debian into {cache}");
        var download = Directory.CreateTempSubdirectory("vcluster-qa-source").FullName;
        try
        {
            var fetched = host.Run(["sh", "-c", $"cd '{download}' && apt-get source --download-only ganeti"], new RunOptions(TimeSpan.FromMinutes(10)), cancellation);
            var tarball = Directory.GetFiles(download, $"ganeti_{version}.orig.tar.gz").FirstOrDefault();
            if (tarball is null)
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.QaUnavailable,
                    $"cannot fetch Ganeti {version}'s source: 'apt-get source --download-only ganeti' gave no ganeti_{version}.orig.tar.gz " +
                    $"(a deb-src entry is needed: run ./eng/setup.sh, or pass --qa-dir with the qa folder of Ganeti's source): {fetched.Tail(3)}"));
            var unpacked = host.Run(["tar", "-xzf", tarball, "-C", download, "--wildcards", $"ganeti-{version}/qa/*"], new RunOptions(TimeSpan.FromMinutes(2)), cancellation);
            if (!unpacked.Succeeded)
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.QaUnavailable, $"cannot unpack {tarball}: {unpacked.Tail(3)}"));
            Directory.CreateDirectory(cache);
            if (Directory.Exists(qa))
                Directory.Delete(qa, recursive: true);
            Directory.Move(Path.Combine(download, $"ganeti-{version}", "qa"), qa);
            return RequireSuite(qa);
        }
        finally
        {
            Directory.Delete(download, recursive: true);
        }
    }

    private static string RequireSuite(string qa) =>
        File.Exists(Path.Combine(qa, "ganeti-qa.py")) ? qa
            : throw new VClusterException(new VClusterDiagnostic(ErrorCodes.QaUnavailable, $"'{qa}' has no ganeti-qa.py: name the qa folder of Ganeti's source"));
}
