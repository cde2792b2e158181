using System.Diagnostics;
using System.Reflection;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Manifest;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

[assembly: Parallelize(Scope = ExecutionScope.MethodLevel, Workers = 2)]

namespace VCluster.Tool.Tests;

[TestClass]
public sealed class CommandLineTests
{
    [TestMethod]
    [DataRow("plain", "words", "--option=value")]
    [DataRow("echo", "$HOME", "it's", "a b", "")]
    [DataRow("sh", "-c", "echo \"$0\" 'x'", "`uname`;rm -rf /")]
    public void AQuotedArgumentListIsWhatBashRuns(params string[] words)
    {
        // As a node's cmd runs it: bash -c "$*" with the one line.
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("printf '%s\\n' " + CommandLine.Join(words));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        CollectionAssert.AreEqual(words, output.Split('\n')[..^1]);
    }
}

[TestClass]
public sealed class DaemonProcessTests
{
    private static readonly LinuxHost Host = new();

    /// <summary>
    /// After a down, a node's pid file may name a pid that another node's daemon holds by now,
    /// in the same namespace: it is that daemon only if it runs the daemon's executable.
    /// </summary>
    [TestMethod]
    public void APidFileNamesTheDaemonOnlyIfThatProcessRunsItsExecutable()
    {
        var dir = Directory.CreateTempSubdirectory("vcluster-pid");
        try
        {
            using var sleeper = Process.Start("/bin/sleep", "60");
            var pidFile = Path.Combine(dir.FullName, "ganeti-noded.pid");
            File.WriteAllText(pidFile, $"{sleeper.Id}\n");
            var ours = Host.UserNamespace(Host.TryRead(Environment.ProcessId)!.Value);
            ManifestDaemon Daemon(string executable) => new() { Name = "ganeti-noded", Executable = executable, PidFile = pidFile };

            Assert.AreEqual(sleeper.Id, Host.OfDaemon(Daemon("/bin/sleep"), ours, "/proc")?.Pid);
            Assert.IsNull(Host.OfDaemon(Daemon("/mnt/nodes/node82/prefix/sbin/ganeti-noded"), ours, "/proc"), "another program under that pid");
            Assert.IsNull(Host.OfDaemon(Daemon("/bin/sleep"), "user:[1]", "/proc"), "another namespace");
            sleeper.Kill();
            sleeper.WaitForExit();
            Assert.IsNull(Host.OfDaemon(Daemon("/bin/sleep"), ours, "/proc"), "gone");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A daemon's pid is its pid namespace's (the sandbox's /proc, seen through its init's root):
    /// the tool reads and signals it there, not by a pid that means another process here.
    /// </summary>
    [TestMethod]
    public void AProcessSeenInAnotherProcIsReadAndSignalledThere()
    {
        using var sleeper = Process.Start("/bin/sleep", "60");
        // This process's root folder holds this machine's /proc: another way to it, read as the sandbox's is.
        var proc = $"/proc/{Environment.ProcessId}/root/proc";
        // Process.Start returns once the child is forked, maybe before it has executed sleep:
        // until then its command line is still this test's.
        Assert.IsTrue(VCluster.Engine.Wait.Until(() => File.ReadAllText($"/proc/{sleeper.Id}/cmdline").StartsWith("/bin/sleep", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), interval: TimeSpan.FromMilliseconds(5)), "the child executed /bin/sleep");
        var seen = Host.TryRead(sleeper.Id, proc);
        Assert.IsNotNull(seen);
        Assert.AreEqual(proc, seen.Value.Proc);
        Assert.IsTrue(Host.Runs(seen.Value, "/bin/sleep"), Host.CommandLine(seen.Value));
        Assert.IsTrue(Host.Signal(seen.Value, LinuxProcess.SigKill), "signalled through its /proc folder");
        Assert.IsTrue(sleeper.WaitForExit(5000), "the signal reached it");
        Assert.IsFalse(Host.IsAlive(seen.Value));
        Assert.IsFalse(Host.Signal(seen.Value, LinuxProcess.SigKill), "nothing to signal once it is gone");
    }
}

[TestClass]
public sealed class SandboxStartTests
{
    private static readonly LinuxHost Host = new();

    /// <summary>
    /// Nodes enter the sandbox only once its setup script is done: a mount namespace copied
    /// earlier lacks what the script mounts last (400 nodes: the master had no sysfs bridge).
    /// </summary>
    [TestMethod]
    public void StartReturnsOnlyWhenTheSetupScriptIsDone()
    {
        var dir = Directory.CreateTempSubdirectory("vcluster-sandbox");
        var state = new RuntimeState();
        try
        {
            var done = Path.Combine(dir.FullName, "done");
            var setup = Path.Combine(dir.FullName, "setup");
            // Slower than the two seconds start once waited at most.
            File.WriteAllText(setup, $"sleep 3\n: > '{done}'\nexec /bin/sh -c 'sleep infinity; :' vcluster-sandbox-init\n");
            var sandbox = new Sandbox(new ClusterManifest { Root = dir.FullName, Sandbox = new ManifestSandbox { Setup = setup } }, Host);

            sandbox.Ensure(state, CancellationToken.None);

            Assert.IsTrue(File.Exists(done), "the script had finished");
            Assert.AreEqual(ResourceState.Running, sandbox.Probe(state));
        }
        finally
        {
            Host.Signal(state.Sandbox, LinuxProcess.SigKill);
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void AFailingSetupScriptIsReportedWithItsOutput()
    {
        var dir = Directory.CreateTempSubdirectory("vcluster-sandbox");
        try
        {
            var setup = Path.Combine(dir.FullName, "setup");
            File.WriteAllText(setup, "echo cannot mount the cluster root >&2\nexit 1\n");
            var sandbox = new Sandbox(new ClusterManifest { Root = dir.FullName, Sandbox = new ManifestSandbox { Setup = setup } }, Host);

            var error = Assert.ThrowsExactly<VClusterException>(() => sandbox.Ensure(new RuntimeState(), CancellationToken.None));

            Assert.AreEqual(ErrorCodes.SandboxUnavailable, error.Diagnostics.Single().Code);
            StringAssert.Contains(error.Message, "cannot mount the cluster root");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

[TestClass]
public sealed class PrerequisitesTests
{
    [TestMethod]
    public void AMachineWithTheKernelsPidRangeIsWarnedWithTheFix()
    {
        // 32768: the kernel's default, kept where systemd did not boot (containers, bare VMs).
        var warning = Prerequisites.PidRangeWarning(32768);

        Assert.IsNotNull(warning);
        StringAssert.StartsWith(warning, $"warning {ErrorCodes.ShortPidRange}: kernel.pid_max is 32768");
        StringAssert.Contains(warning, "sudo sysctl -w kernel.pid_max=4194304");
    }

    [TestMethod]
    [DataRow(4_194_304)]
    [DataRow(null)]
    public void DebiansPidRangeOrAnUnreadableOneIsNotWarned(int? pidMax) =>
        Assert.IsNull(Prerequisites.PidRangeWarning(pidMax));
}

[TestClass]
public sealed class HostPathTests
{
    private const string DebianUserPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games";

    [TestMethod]
    public void AnOrdinaryUsersPathGetsTheSystemFoldersItLacksAfterItsOwn()
    {
        Assert.AreEqual("/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games:/usr/local/sbin:/usr/sbin:/sbin", HostPath.Compose(DebianUserPath));
        Assert.AreEqual("/opt/x/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HostPath.Compose("/opt/x/bin::/opt/x/bin"));
        Assert.AreEqual(string.Join(':', HostPath.SystemDirectories), HostPath.Compose(null));
    }

    [TestMethod]
    public void AProgramInASystemFolderIsFoundWithAUsersPath()
    {
        // Debian's dnsmasq (and start-stop-daemon, sysctl...) live in /usr/sbin, which an ordinary user's PATH lacks.
        var program = Directory.CreateTempSubdirectory("hostpath");
        try
        {
            var sbin = Directory.CreateDirectory(Path.Combine(program.FullName, "sbin")).FullName;
            var tool = Path.Combine(sbin, "vcluster-probe-tool");
            File.WriteAllText(tool, "#!/bin/sh\n");
            Assert.IsNull(HostPath.Find("vcluster-probe-tool", DebianUserPath));
            File.SetUnixFileMode(tool, (UnixFileMode)0b111_101_101);
            Assert.AreEqual(tool, HostPath.Find("vcluster-probe-tool", $"{DebianUserPath}:{sbin}"));
            Assert.AreEqual(tool, HostPath.Find(tool), "a path is taken as it is");
            Assert.IsNull(HostPath.Find(tool + "-missing"));
        }
        finally
        {
            program.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void EveryProcessTheToolStartsFindsSystemProgramsWhateverTheCallersPath()
    {
        // What the tool starts gets the composed PATH: a shell it starts finds sbin's programs too.
        var result = new LinuxHost().Run(["sh", "-c", "echo $PATH"]);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        Assert.AreEqual(HostPath.Value, result.Output.Trim());
        foreach (var folder in HostPath.SystemDirectories)
            CollectionAssert.Contains(result.Output.Trim().Split(':'), folder);
    }
}

[TestClass]
public sealed class GrowthFitTests
{
    private static (double, double)[] Points(Func<double, double> t) => [.. new[] { 10.0, 50, 100, 250 }.Select(n => (n, t(n)))];

    [TestMethod]
    [DataRow("linear", 1.0)]
    [DataRow("n log n", 1.27)] // 1 + 1/ln n: 1.43 at 10 nodes, 1.18 at 250
    [DataRow("quadratic", 2.0)]
    public void EachModelIsRecognisedWithItsExponent(string model, double exponent)
    {
        Func<double, double> growth = model switch { "linear" => n => 0.2 * n, "n log n" => n => 0.05 * n * Math.Log(n), _ => n => 0.002 * n * n };
        // With a constant part (start-up), as operations have: the model is still recognised.
        var fit = VCluster.Tool.Report.GrowthFit.Of(Points(n => 0.5 + growth(n)))!;
        Assert.AreEqual(model, fit.Model);
        Assert.AreEqual(0.5 + growth(1000), fit.At(1000), growth(1000) * 1e-6, "the model extrapolates as the function does");
        Assert.AreEqual(exponent, VCluster.Tool.Report.GrowthFit.Of(Points(growth))!.Exponent, 0.05, "the power law through the points");
    }

    [TestMethod]
    public void TheLimitIsReachedWhereTheModelCrossesIt()
    {
        var fit = VCluster.Tool.Report.GrowthFit.Of(Points(n => 0.002 * n * n))!;
        // 0.002 n^2 = 900 at n = 670.8: the first whole n at or above is 671.
        Assert.AreEqual(671, fit.Reaches(900));
        Assert.IsNull(VCluster.Tool.Report.GrowthFit.Of(Points(_ => 3))!.Reaches(900), "a constant time never reaches it");
        Assert.IsNull(VCluster.Tool.Report.GrowthFit.Of([(10, 1), (20, 2)]), "two sizes fit nothing");
    }

    [TestMethod]
    public void TheReportRoundTripsThroughItsJsonAndDrawsItsPicture()
    {
        var report = new VCluster.Tool.Report.ScaleReport { Created = "2026-12-05T00:00:00Z", GanetiVersion = "3.0.2" };
        foreach (var (n, t) in Points(n => 0.5 + 0.01 * n))
            report.Sizes.Add(new VCluster.Tool.Report.ReportSize
            {
                Nodes = (int)n, Instances = (int)n * 10,
                Operations = [new VCluster.Tool.Report.ReportOperation { Name = "cluster-verify", MedianSeconds = t, Runs = [new() { WallSeconds = t }] }],
            });
        report.FitGrowth();
        var growth = report.Growth.Single();
        Assert.AreEqual(("cluster-verify", "linear", 900.0), (growth.Operation, growth.Model, growth.LimitSeconds));
        Assert.AreEqual(89_950, growth.ReachesLimitAtNodes!.Value, 1, "0.5 + 0.01 n = 900");
        var again = VCluster.Tool.Report.ScaleReport.FromJson(report.ToJson());
        Assert.AreEqual(report.ToJson(), again.ToJson());
        StringAssert.Contains(report.ToJson(), "\"reachesLimitAtNodes\": 89950");
        var png = Path.Combine(Path.GetTempPath(), $"report{Guid.NewGuid():N}.png");
        try
        {
            VCluster.Tool.Report.ReportPlot.Save(report, png);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
        }
        finally
        {
            File.Delete(png);
        }
    }
}
