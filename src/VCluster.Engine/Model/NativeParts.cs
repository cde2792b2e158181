using System.Runtime.InteropServices;
using VCluster.Engine.Diagnostics;

namespace VCluster.Engine.Model;

/// <summary>
/// The native parts built from Native/ (<see cref="NodePreload"/>'s library, <see cref="NodeEntry"/>'s
/// program), beside the engine per runtime identifier, as NuGet lays them out:
/// runtimes/linux-x64/native/, runtimes/linux-arm64/native/. On an architecture the package
/// has none for, generation stops with VCS0040 (never <c>up</c>, later, with a program that
/// cannot run).
/// </summary>
public static class NativeParts
{
    /// <summary>This machine's runtime identifier as the package names its folders ("linux-x64").</summary>
    public static string ThisMachine => Identifier(RuntimeInformation.OSArchitecture);

    public static string Identifier(Architecture architecture) =>
        "linux-" + architecture.ToString().ToLowerInvariant();

    /// <summary>Where the engine's native parts are: runtimes/ beside its assembly.</summary>
    public static string RuntimesFolder => Path.Combine(Path.GetDirectoryName(typeof(NativeParts).Assembly.Location)!, "runtimes");

    /// <summary>Where <paramref name="name"/> for this machine is beside the engine.</summary>
    public static string PathOf(string name) => Path.Combine(RuntimesFolder, ThisMachine, "native", name);

    /// <summary><paramref name="name"/> as built for <paramref name="runtime"/>, from <paramref name="runtimes"/>.</summary>
    public static byte[] Read(string name, string? runtime = null, string? runtimes = null)
    {
        runtime ??= ThisMachine;
        runtimes ??= RuntimesFolder;
        var path = Path.Combine(runtimes, runtime, "native", name);
        if (File.Exists(path))
            return File.ReadAllBytes(path);
        var present = Directory.Exists(runtimes)
            ? Directory.GetDirectories(runtimes).Where(d => File.Exists(Path.Combine(d, "native", name))).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()
            : [];
        throw new VClusterException(new VClusterDiagnostic(ErrorCodes.NativePartsMissing,
            present.Count == 0
                ? $"{name} is missing beside the engine ({path}): the SDK or the tool was packed without its native parts"
                : $"this machine is {runtime}, and the SDK's native parts ({name}) are built for {string.Join(", ", present)} only: " +
                  $"build the SDK on a {runtime} machine (dotnet pack), or use one of those"));
    }
}
