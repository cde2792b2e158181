using VCluster.Tool.Runtime.Resources;
using VCluster.Tool.Runtime.Processes;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;

namespace VCluster.Tool.Runtime;

/// <summary>What the sandbox needs from the machine, checked before anything starts.</summary>
public static class Prerequisites
{
    private const string AptPackages = "ganeti ganeti-3.0 ganeti-haskell-3.0 ganeti-htools-3.0 ganeti-os-noop libnss-wrapper libeatmydata1 socat dnsmasq-base util-linux iproute2 openssh-client";

    /// <summary>
    /// Throws what stops a cluster from starting; writes to <paramref name="warnings"/> what a
    /// Ganeti machine would have but that does not stop one. Every command that starts daemons
    /// calls this once, so none can check without warning.
    /// </summary>
    public static void Check(ClusterManifest manifest, IProcessHost host, TextWriter warnings)
    {
        var problems = new List<string>();
        foreach (var (tool, package) in new[]
        {
            ("unshare", "util-linux"), ("nsenter", "util-linux"), ("setsid", "util-linux"), ("flock", "util-linux"), ("ip", "iproute2"),
            ("socat", "socat"), ("dnsmasq", "dnsmasq-base"), ("ssh-keygen", "openssh-client"), ("ss", "iproute2"), ("start-stop-daemon", "dpkg"),
        })
        {
            if (HostPath.Find(tool) is null)
                problems.Add($"'{tool}' is missing: sudo apt-get install {package}");
        }
        bool Library(string name) => new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/lib" }
            .Any(d => File.Exists(Path.Combine(d, name)));
        if (!Library("libnss_wrapper.so"))
            problems.Add("nss_wrapper is missing: sudo apt-get install libnss-wrapper");
        if (manifest.Nodes.Any(n => n.Environment.GetValueOrDefault("LD_PRELOAD", "").Contains("libeatmydata.so", StringComparison.Ordinal)) && !Library("libeatmydata.so"))
            problems.Add("libeatmydata is missing: sudo apt-get install libeatmydata1 (or build with VClusterDurableWrites=true)");
        if (!File.Exists(Path.Combine(manifest.Ganeti.ShareDir, "ganeti", "_constants.py")))
            problems.Add($"Ganeti {manifest.Ganeti.Version} is no longer installed at {manifest.Ganeti.ShareDir}: sudo apt-get install {AptPackages}");
        if (ReadInt("/proc/sys/user/max_user_namespaces") == 0)
            problems.Add("user namespaces are disabled: sudo sysctl -w user.max_user_namespaces=15000");
        if (ReadInt("/proc/sys/kernel/unprivileged_userns_clone") == 0)
            problems.Add("unprivileged user namespaces are disabled: sudo sysctl -w kernel.unprivileged_userns_clone=1");
        if (ReadInt("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
            problems.Add("AppArmor restricts unprivileged user namespaces: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
        if (problems.Count == 0)
        {
            var probe = host.Run(["unshare", "-Urnm", "true"], new RunOptions(TimeSpan.FromSeconds(10)));
            if (!probe.Succeeded)
                problems.Add($"this user cannot create user, network and mount namespaces ('unshare -Urnm true' failed: {probe.Tail(2)})");
        }
        if (problems.Count > 0)
            throw new VClusterException(problems.Select(p => new VClusterDiagnostic(ErrorCodes.SandboxUnavailable, p)).ToList());
        if (PidRangeWarning(ReadInt("/proc/sys/kernel/pid_max")) is { } pidRange)
            warnings.WriteLine(pidRange);
    }

    /// <summary>Debian's systemd sets kernel.pid_max to this at boot (/usr/lib/sysctl.d/50-pid-max.conf).</summary>
    public const int DebianPidMax = 4_194_304;

    /// <summary>
    /// Ganeti's daemon-util starts a daemon with start-stop-daemon matching its pid file alone:
    /// while another process holds a dead daemon's old pid, the daemon counts as running and
    /// ganeti-watcher does not restart it. A Ganeti machine (Debian with systemd) has 2^22 pids,
    /// so that never happens; the kernel's default of 32768 comes round within minutes with
    /// hundreds of nodes' daemons on one machine (a killed confd stayed dead in a CI run).
    /// </summary>
    public static string? PidRangeWarning(int? pidMax) =>
        pidMax is { } max && max < DebianPidMax
            ? $"warning {ErrorCodes.ShortPidRange}: kernel.pid_max is {max}, not Debian's {DebianPidMax}: pids come round fast with many daemons on one machine, and ganeti-watcher does not restart a dead daemon whose old pid another process holds; raise it: sudo sysctl -w kernel.pid_max={DebianPidMax}"
            : null;

    private static int? ReadInt(string path) =>
        File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var value) ? value : null;
}
