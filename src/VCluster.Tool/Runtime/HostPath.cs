namespace VCluster.Tool.Runtime;

/// <summary>
/// Where the tool finds the programs it starts on the machine, outside any node: the caller's
/// PATH, then the system folders it lacks. Debian gives ordinary users no /usr/sbin or /sbin
/// on PATH (/etc/profile), and some of the sandbox's tools live there (dnsmasq, and whatever a
/// setup script or relay runs). The prerequisite check finds a program with this path, and
/// every process the tool starts is started by the program's full path and gets this PATH, so
/// a program that starts another (nsenter starting dnsmasq, socat starting nsenter, the
/// sandbox's setup script) finds it the same way.
/// </summary>
public static class HostPath
{
    /// <summary>Debian's PATH for root (/etc/profile), whose folders every search ends with.</summary>
    public static readonly IReadOnlyList<string> SystemDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The caller's PATH with the system folders it lacks appended.</summary>
    public static string Value { get; } = Compose(Environment.GetEnvironmentVariable("PATH"));

    /// <summary><paramref name="callerPath"/>'s folders in their order, then each system folder it lacks.</summary>
    public static string Compose(string? callerPath)
    {
        var folders = (callerPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).ToList();
        folders.AddRange(SystemDirectories.Where(d => !folders.Contains(d)));
        return string.Join(':', folders.Distinct(StringComparer.Ordinal));
    }

    /// <summary>The full path of <paramref name="program"/> (a name with a slash is taken as it is), or null.</summary>
    public static string? Find(string program, string? searchPath = null)
    {
        if (program.Contains('/', StringComparison.Ordinal))
            return File.Exists(program) ? program : null;
        return (searchPath ?? Value).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(p => File.Exists(p) && (File.GetUnixFileMode(p) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
    }
}
