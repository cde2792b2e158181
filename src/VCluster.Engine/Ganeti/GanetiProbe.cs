using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using VCluster.Engine.Diagnostics;

namespace VCluster.Engine.Ganeti;

/// <summary>Paths as the installed pathutils computes them without GANETI_ROOTDIR (ganeti-probe.py names them).</summary>
public sealed record GanetiPaths(
    string DataDir, string RunDir, string LogDir, string SocketDir, string ConfFile, string QuerySocket, string MasterSocket,
    string FileStoragePathsFile, string DaemonUtil, string ConfdHmacKey, string RapiUsersFile, string DefaultFileStorageDir,
    string DefaultSharedFileStorageDir, string ExportDir, string LockDir, string BackupDir)
{
    /// <summary>Each path by its probe name ("runDir"): what templates see as <c>ganeti.paths</c>.</summary>
    public IReadOnlyDictionary<string, string> ByName() =>
        JsonSerializer.SerializeToNode(this, GanetiProbeJson.Default.GanetiPaths)!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
}

/// <summary>What the probe reads from an installed Ganeti: its version, interpreter, build-time constants, paths and ensure-dirs list.</summary>
public sealed record GanetiProbeResult(string Version, string Python, JsonObject Constants, GanetiPaths Paths, IReadOnlyList<EnsureDirsEntry> EnsureDirs);

/// <summary>
/// Runs ganeti-probe.py with the installation's own interpreter and library, once per
/// installation: the result is cached under a key of the installation's files and the script.
/// </summary>
public static class GanetiProbe
{
    /// <summary>The probe's JSON, every member required: a result of another shape is an error (or, cached, a reason to probe again).</summary>
    public static GanetiProbeResult Parse(string json) =>
        JsonSerializer.Deserialize(json, GanetiProbeJson.Default.GanetiProbeResult) ?? throw new JsonException("the probe printed null");

    /// <summary>
    /// The probe's result for the installation in <paramref name="shareDir"/>: from the cache
    /// when the installation's files are as they were, else from one run of the probe script
    /// with the installation's own <paramref name="python"/>.
    /// </summary>
    public static GanetiProbeResult Load(string shareDir, string python, string? cacheDirectory, string? userland = null)
    {
        var script = ReadProbeScript();
        var key = Fingerprint(shareDir, script);
        var cacheFile = cacheDirectory is null ? null : Path.Combine(cacheDirectory, $"ganeti-{key}.json");
        if (cacheFile is not null && File.Exists(cacheFile))
        {
            try
            {
                return Parse(File.ReadAllText(cacheFile));
            }
            catch (JsonException)
            {
                // A damaged or outdated cache entry is simply probed again.
            }
        }

        var start = new ProcessStartInfo(userland is null ? python : "unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (userland is not null)
        {
            // Another system's Python and libraries run only with its /usr: bound over the
            // machine's in a user and mount namespace of the probe's own, as the sandbox does.
            foreach (var word in (string[])["--user", "--map-root-user", "--mount", "--", "/bin/sh", "-c",
                "mount --bind \"$0/usr\" /usr && exec \"$@\"", userland, python])
                start.ArgumentList.Add(word);
        }
        start.ArgumentList.Add("-");
        start.ArgumentList.Add(shareDir);
        start.Environment.Remove("GANETI_ROOTDIR");
        start.Environment.Remove("GANETI_HOSTNAME");
        start.Environment.Remove("PYTHONPATH");
        // Ganeti lists some paths from sets (ensure-dirs' ssconf files): a fixed hash seed
        // gives one order, so a probe run again (the cache key covers the installation's file
        // times) gives the same result, and generation the same files.
        start.Environment["PYTHONHASHSEED"] = "0";
        string output, error;
        int exitCode;
        try
        {
            using var process = Process.Start(start)!;
            process.StandardInput.Write(script);
            process.StandardInput.Close();
            var stderrTask = process.StandardError.ReadToEndAsync();
            output = process.StandardOutput.ReadToEnd();
            error = stderrTask.Result;
            process.WaitForExit();
            exitCode = process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiNotInstalled,
                $"cannot run Ganeti's Python interpreter '{python}': {e.Message}. Install it with: sudo apt-get install python3"));
        }
        if (exitCode != 0)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiNotInstalled,
                $"the Ganeti installation in '{shareDir}' cannot be imported by {python} (exit {exitCode}): {LastLines(error, 5)}. " +
                "Install its dependencies with: sudo apt-get install ganeti-3.0"));

        GanetiProbeResult probe;
        try
        {
            probe = Parse(output);
        }
        catch (JsonException e)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.GanetiNotInstalled,
                $"the Ganeti installation in '{shareDir}' answered the probe with something else than its result: {e.Message}"));
        }
        if (cacheFile is not null)
        {
            try
            {
                Directory.CreateDirectory(cacheDirectory!);
                AtomicFile.WriteAllBytes(cacheFile, Encoding.UTF8.GetBytes(output), null);
            }
            catch (IOException)
            {
                // The cache only saves time.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return probe;
    }

    private static string Fingerprint(string shareDir, string script)
    {
        var text = new StringBuilder(shareDir).Append('\n').Append(script);
        foreach (var file in GanetiInstallation.FingerprintFiles(shareDir))
        {
            var info = new FileInfo(file);
            text.Append('\n').Append(file).Append(' ').Append(info.Exists ? $"{info.Length} {info.LastWriteTimeUtc.Ticks}" : "-");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static string ReadProbeScript()
    {
        using var stream = typeof(GanetiProbe).Assembly.GetManifestResourceStream("VCluster.Engine.ganeti-probe.py")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, RespectRequiredConstructorParameters = true, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(GanetiProbeResult))]
internal sealed partial class GanetiProbeJson : JsonSerializerContext;
