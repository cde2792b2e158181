using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Crash consistency on real Ganeti, as an ordinary user: the whole cluster killed at once
/// (`crash`: SIGKILL of the sandbox and all in it) while jobs run, then `up`; and an `up` and
/// a build interrupted with Ctrl+C, then `up` again. Every wait is for something Ganeti or the
/// tool writes, never a fixed time.
/// </summary>
[TestClass]
public sealed class CrashTests
{
    /// <summary>
    /// Jobs in flight at the crash: a delay on the master holding its node lock, an instance
    /// creation held inside its OS script (an OS of the test's whose create waits), and a job
    /// waiting for the first one's lock. After up the configuration is the one before (same
    /// cluster UUID, the instance made before still running where it was); luxid's death
    /// detection fails the jobs that ran (within its 307-s queue poll); the half-created
    /// instance is in Ganeti's configuration, down, and Ganeti's own step for it
    /// (gnt-instance remove) leaves verify clean.
    /// </summary>
    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void ACrashInTheMiddleOfJobsLosesNothingAndGanetiFailsTheJobsItRan()
    {
        var repo = UpRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>3</VClusterNodeCount>
              </PropertyGroup>
              <ItemGroup>
                <VClusterInstance Include="before" Template="diskless" Node="node2" />
              </ItemGroup>
            </Project>
            """);
        var cluster = Path.Combine(repo, ".vcluster/cluster");
        try
        {
            // An OS whose create script says it started, then waits: a creation held mid-job.
            var os = As(repo, ["sh", "-c", $"cp -r {cluster}/os/vcluster {cluster}/os/hold && printf '#!/bin/sh\\ntouch \"$(dirname \"$0\")/started\"\\nexec sleep 3600\\n' > {cluster}/os/hold/create"]);
            Assert.AreEqual(0, os.ExitCode, os.ToString());
            var uuid = ClusterUuid(cluster);

            var delay = JobId(Tool(repo, "exec", "node1", "--", "gnt-debug", "delay", "--submit", "3600"));
            var create = JobId(Tool(repo, "exec", "node1", "--", "gnt-instance", "add", "--submit", "-t", "file", "--disk", "0:size=1G", "--no-nics",
                "-o", "hold+default", "-H", "fake", "--no-name-check", "--no-ip-check", "-n", "node3", "held"));
            var waiting = JobId(Tool(repo, "exec", "node1", "--", "gnt-debug", "delay", "--submit", "3600"));
            Assert.IsTrue(Until(() => File.Exists(Path.Combine(cluster, "os/hold/started")), TimeSpan.FromMinutes(3)), "the creation reached its OS script");
            Assert.IsTrue(Until(() => Jobs(repo).GetValueOrDefault(delay) == "running", TimeSpan.FromMinutes(1)), string.Join(", ", Jobs(repo)));

            var crash = ToolRaw(repo, "crash");
            Assert.AreEqual(0, crash.ExitCode, crash.ToString());
            StringAssert.Contains(crash.Output, "every process killed at once (SIGKILL)", crash.ToString());
            StringAssert.Contains(Tool(repo, "status").Output, ": down", "crashed");

            var resumed = Tool(repo, "up");
            Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
            Assert.AreEqual(uuid, ClusterUuid(cluster), "the same cluster");
            var instances = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,pnode,admin_state,status");
            StringAssert.Matches(instances.Output, new System.Text.RegularExpressions.Regex(@"before\s+node2\s+up\s+running"), instances.ToString());
            StringAssert.Matches(instances.Output, new System.Text.RegularExpressions.Regex(@"held\s+node3\s+down\s+ADMIN_down"), instances.ToString());

            // Ganeti's luxid finds the jobs' processes dead and fails them (JQScheduler's checkForDeath).
            Assert.IsTrue(Until(() => new[] { delay, create, waiting }.All(j => Jobs(repo).GetValueOrDefault(j) == "error"), TimeSpan.FromMinutes(8), TimeSpan.FromSeconds(10)),
                $"jobs {delay}, {create}, {waiting}: {string.Join(", ", Jobs(repo))}");
            foreach (var job in new[] { delay, create, waiting })
                StringAssert.Contains(File.ReadAllText(Path.Combine(cluster, $"nodes/node1/var/lib/ganeti/queue/job-{job}")), "gnt:daemon:luxid:deathdetection");

            // Ganeti's own step for a creation that never finished: remove the instance.
            var remove = Tool(repo, "exec", "node1", "--", "gnt-instance", "remove", "-f", "held");
            Assert.AreEqual(0, remove.ExitCode, remove.ToString());
            var verify = Tool(repo, "verify");
            Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        }
        finally
        {
            Tool(repo, "down");
        }
    }

    /// <summary>
    /// Ctrl+C in the middle of a build's `VClusterUp` (MSBuild cancels its Exec and kills the
    /// tool), and in the middle of `dotnet vcluster up` (the tool stops between steps): each
    /// time the next `up` completes the cluster, and verify is clean.
    /// </summary>
    [TestMethod]
    [Timeout(1_200_000, CooperativeCancellation = true)]
    public void AnUpOrABuildInterruptedWithCtrlCIsCompletedByTheNextUp()
    {
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup>
                <VClusterNodeCount>3</VClusterNodeCount>
              </PropertyGroup>
            </Project>
            """);
        // Interrupted once the sandbox runs (its pid file: up writes it before init or resume,
        // which take seconds more): a file, not the output, which MSBuild holds back until
        // its Exec ends. A script's background job starts with SIGINT ignored, which .NET
        // keeps: env gives it back its default, and setsid a process group of its own, which
        // gets the SIGINT a terminal's Ctrl+C would send (MSBuild and the tool alike).
        var pidFile = Path.Combine(repo, ".vcluster/cluster/.state/run/sandbox.pid");
        Run Interrupted(string command) => As(repo, ["bash", "-c",
            $"setsid env --default-signal=INT {command} > interrupted.log 2>&1 & until [ -s '{pidFile}' ]; do kill -0 $! 2>/dev/null || break; sleep 0.1; done; " +
            "kill -INT -- -$!; wait $!; echo \"exit $?\"; cat interrupted.log"]);

        var build = Interrupted("dotnet build -t:VClusterUp -nodeReuse:false");
        Assert.DoesNotContain("exit 0\n", build.Output, $"interrupted before the end: {build}");
        Assert.DoesNotContain("is up:", build.Output, build.ToString());
        var afterBuild = Tool(repo, "up");
        Assert.AreEqual(0, afterBuild.ExitCode, afterBuild.ToString());
        Assert.AreEqual(0, Tool(repo, "verify").ExitCode);

        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
        var tool = Interrupted($"dotnet exec {ToolDll} up");
        StringAssert.Contains(tool.Output, "starting the sandbox", tool.ToString());
        Assert.DoesNotContain("exit 0\n", tool.Output, $"interrupted before the end: {tool}");
        Assert.DoesNotContain("is up:", tool.Output, tool.ToString());
        var afterTool = Tool(repo, "up");
        Assert.AreEqual(0, afterTool.ExitCode, afterTool.ToString());
        var verify = Tool(repo, "verify");
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Tool(repo, "down");
    }

    private static string ClusterUuid(string cluster) =>
        (string)JsonNode.Parse(File.ReadAllText(Path.Combine(cluster, "nodes/node1/var/lib/ganeti/config.data")))!["cluster"]!["uuid"]!;

    private static int JobId(Run submitted)
    {
        Assert.AreEqual(0, submitted.ExitCode, submitted.ToString());
        var id = System.Text.RegularExpressions.Regex.Match(submitted.Output, @"JobID: (\d+)");
        Assert.IsTrue(id.Success, submitted.ToString());
        return int.Parse(id.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every job's status, as gnt-job list gives it.</summary>
    private static Dictionary<int, string> Jobs(string repo) =>
        Tool(repo, "exec", "node1", "--", "gnt-job", "list", "--no-headers", "-o", "id,status").Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 2 && int.TryParse(f[0], out _)).ToDictionary(f => int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), f => f[1]);

    private static bool Until(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(interval ?? TimeSpan.FromMilliseconds(500));
        }
        return true;
    }
}
