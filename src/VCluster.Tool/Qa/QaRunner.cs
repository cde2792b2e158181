using VCluster.Engine.Layout;
using VCluster.Tool.Runtime.Resources;
using VCluster.Tool.Runtime.Processes;
using System.Diagnostics;
using System.Text.Json;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using VCluster.Tool.Runtime;

namespace VCluster.Tool.Qa;

/// <summary>
/// Runs Ganeti's own QA suite, unmodified, against a running virtual cluster: inside the
/// sandbox, as the machine the nodes live on (no node identity), in the suite's
/// virtual-cluster mode, so that it reaches every node as it reaches hardware. Prints a line
/// per test as it ends, keeps QA's whole output in .state/qa/qa.log, and summarises.
/// </summary>
public sealed class QaRunner(ClusterManifest manifest, IProcessHost host, TextWriter progress)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>
    /// QA calls yaml.load without a Loader, which PyYAML 6 refuses; the harness gives it the
    /// full loader PyYAML 5 used by default. QA's own code stays as Ganeti ships it.
    /// </summary>
    private const string YamlCompatibility = """
        # Written by dotnet vcluster qa: Ganeti 3.0's QA calls yaml.load(text) without a Loader,
        # which PyYAML 6 refuses; give it PyYAML 5's default, the full loader.
        try:
            import yaml
            _load = yaml.load
            def _load_with_default(stream, Loader=None, **kwargs):
                return _load(stream, Loader=Loader or yaml.FullLoader, **kwargs)
            yaml.load = _load_with_default
        except ImportError:
            pass
        """;

    /// <summary>Runs QA on the cluster as <paramref name="plan"/> says, configured with up's <c>gnt-cluster init</c> command line.</summary>
    public int Run(string? qaFolder, QaPlan plan, IReadOnlyList<string> initCommand, string? junit, CancellationToken cancellation)
    {
        var state = RuntimeState.Load(manifest.Root);
        if (state is null || !host.IsAlive(state.Sandbox) || !state.UpCompleted)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.ClusterNotRunning,
                $"cluster '{manifest.Name}' is not up; bring it up first: dotnet vcluster up"));
        // After gnt-cluster upgrade the cluster runs another of its installed versions than it
        // was made with, whose QA suite Debian's source of this machine's release does not hold.
        // QA then runs with that version's Python modules.
        var shareDir = manifest.Ganeti.ShareDir;
        if (RunningGaneti.Other(manifest) is { } other)
        {
            if (qaFolder is null)
                throw new VClusterException(new VClusterDiagnostic(ErrorCodes.QaSuiteOfOtherVersion,
                    $"cluster '{manifest.Name}' runs Ganeti {other.Version} (gnt-cluster upgrade switched it from {manifest.Ganeti.Version}), whose QA suite is not this machine's Debian source: " +
                    $"give the qa folder of Ganeti {other.Version}'s source with --qa-dir (docs/upgrades.md says where to get it)"));
            shareDir = other.ShareDir;
        }
        var suite = QaSuite.Locate(qaFolder ?? QaSuite.OfSourceTree(manifest.Ganeti.Source), manifest.Ganeti.Version, host, progress, cancellation);

        // Everything QA reads lies in the cluster root, which the sandbox shows at SandboxRoot
        // (a cache under /tmp, say, it would not see): the suite is copied there.
        var work = ClusterRootLayout.On(manifest.Root, ClusterRootLayout.Qa);
        var inside = Path.Combine(manifest.SandboxRoot, Path.GetRelativePath(manifest.Root, work));
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(Path.Combine(work, "python"));
        Directory.CreateDirectory(Path.Combine(work, "source"));
        var copied = host.Run(["cp", "-a", suite, Path.Combine(work, "source", "qa")], new RunOptions(TimeSpan.FromMinutes(1)), cancellation);
        if (!copied.Succeeded)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.QaUnavailable, $"cannot copy the QA suite: {copied.Tail(3)}"));
        // QA uploads two of the source tree's tools to the master (../tools/burnin,
        // ../tools/move-instance), which a source tree has only once built: the installed
        // version's are those.
        var tools = Directory.CreateDirectory(Path.Combine(work, "source", "tools")).FullName;
        foreach (var tool in new[] { "burnin", "move-instance" })
            File.Copy(Path.Combine(shareDir, tool), Path.Combine(tools, tool));
        // QA imports itself as the package "qa": its parent goes on the path.
        var qa = Path.Combine(inside, "source", "qa");
        File.WriteAllText(Path.Combine(work, "python", "sitecustomize.py"), YamlCompatibility.Replace("\r", "") + "\n");
        if (plan.Cluster.OwnCluster)
        {
            // QA's init copies its key into every node's ~/.ssh (qa_cluster.TestClusterInit),
            // which root has on a machine: each node's home gets one.
            foreach (var node in manifest.Nodes.Where(n => n.Environment.ContainsKey("HOME")))
                Directory.CreateDirectory(Path.Combine(manifest.Root, Path.GetRelativePath(manifest.SandboxRoot, node.Environment["HOME"]), ".ssh"));
        }
        var config = QaConfiguration.Build(manifest, plan, initCommand);
        File.WriteAllText(Path.Combine(work, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var log = Path.Combine(work, "qa.log");

        var master = manifest.Nodes.Single(n => n.Master);
        string[] environment =
        [
            $"PATH={manifest.Sandbox.BinDir}:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME=/tmp",
            $"PYTHONPATH={shareDir}:{Path.Combine(inside, "source")}:{Path.Combine(inside, "python")}",
            // Names resolve as on the nodes; no node identity: QA runs on the machine itself.
            "LD_PRELOAD=libnss_wrapper.so",
            $"NSS_WRAPPER_HOSTS={manifest.Sandbox.Hosts}",
            $"NSS_WRAPPER_GROUP={manifest.Sandbox.Group}",
            $"NSS_WRAPPER_PASSWD={master.Environment["NSS_WRAPPER_PASSWD"]}",
            $"NSS_WRAPPER_MAX_HOSTENTS={master.Environment["NSS_WRAPPER_MAX_HOSTENTS"]}",
            "LANG=C.UTF-8",
            // Already in the sandbox: a node's cmd need not enter it again.
            $"VCLUSTER_SANDBOX={manifest.Root}",
        ];
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] Ganeti's QA ({suite}) on cluster '{manifest.Name}'{(plan.Cluster.OwnCluster ? ", which QA initialises and destroys" : "")}: " +
            $"{plan.On.Count} test switches on, {plan.SwitchedOff.Count} switched off, {plan.LeftOut.Count} left out; log {log}");
        // QA 3.1 appends to /var/log/ganeti/qa-profile.log on the machine it runs on, which the
        // sandbox has read-only: a mount namespace of its own gets QA's folder there.
        Directory.CreateDirectory(Path.Combine(work, "log"));
        var command = Sandbox.Enter(state.Sandbox,
        [
            Path.Combine(manifest.SandboxRoot, NodePreload.Folder, NodeEntry.ProgramName), "--bind-dir", Path.Combine(inside, "log"), "/var/log/ganeti", "--",
            "/usr/bin/env", "-i", .. environment, manifest.Ganeti.Python, Path.Combine(qa, "ganeti-qa.py"), "--yes-do-it", Path.Combine(inside, "config.json"),
        ]);
        var (exitCode, results) = RunAndFollow(command, log, plan, cancellation);

        var failed = results.Where(r => r.Outcome == QaOutcome.Failed).ToList();
        progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] QA: {QaCounts.Of(results, plan)} (docs/qa.md)");
        foreach (var r in results.Where(r => r.Outcome == QaOutcome.ReturnedWithoutTesting).DistinctBy(r => r.Name))
            progress.WriteLine($"  {r.Name}{(r.DiskTemplate is { } t ? $" ({t} instance)" : "")}: {r.Message}");
        if (plan.SwitchedOff.Count > 0)
            progress.WriteLine($"  switched off on this cluster: {string.Join(", ", plan.SwitchedOff.Select(s => s.Name))} (each one's reason: docs/qa.md{(junit is null ? "" : ", the JUnit file")})");
        foreach (var r in failed)
            progress.WriteLine($"  FAILED {r.Name}: {r.Message}");
        if (junit is not null)
            QaReport.JUnit($"ganeti-qa.{manifest.Name}", results, plan).Save(Path.GetFullPath(junit));
        if (exitCode == 0 && failed.Count == 0)
            return 0;
        progress.WriteLine($"error {ErrorCodes.QaFailed}: Ganeti's QA failed on cluster '{manifest.Name}' (exit {exitCode}); its output: {log}");
        return 1;
    }

    /// <summary>Runs QA, its output into the log, a line per finished test to the progress.</summary>
    private (int ExitCode, List<QaResult> Results) RunAndFollow(IReadOnlyList<string> command, string log, QaPlan plan, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        var reader = new QaReport.Reader();
        using var writer = new StreamWriter(log) { AutoFlush = true };
        using var process = Process.Start(start)!;
        void OnLine(string? line)
        {
            if (line is null)
                return;
            lock (reader)
            {
                writer.WriteLine(line);
                if (reader.Read(line) is { Outcome: not QaOutcome.Skipped } read && QaReport.Classify(read, plan.Cluster) is var result)
                    progress.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] {Label(result.Outcome),-8} {result.Name}{(result.Message is { } m ? ": " + m : "")}");
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var registration = cancellation.Register(() => process.Kill(entireProcessTree: true));
        process.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        lock (reader)
            return (process.ExitCode, QaReport.Classify(reader.Results, plan.Cluster));
    }

    private static string Label(QaOutcome outcome) => outcome switch
    {
        QaOutcome.Passed => "PASSED",
        QaOutcome.Failed => "FAILED",
        QaOutcome.ReturnedWithoutTesting => "UNTESTED",
        _ => "SKIPPED",
    };
}
