using VCluster.Engine.Diagnostics;
using VCluster.Tool.Runtime;
using VCluster.Tool.Runtime.Phases;
using VCluster.Tool.Runtime.Processes;
using VCluster.Tool.Runtime.Resources;

namespace VCluster.Tool.Tests.Lifecycle;

/// <summary>
/// What up, status, stop-node and kill-node do to a cluster's processes, on a fake machine
/// (<see cref="FakeHost"/>): every test runs the runtime's real code, in milliseconds. Each
/// guards a defect an earlier end-to-end run found.
/// </summary>
[TestClass]
public sealed class LifecycleTests
{
    private static readonly string[] Daemons = ["ganeti-noded", "ganeti-wconfd", "ganeti-rapi", "ganeti-luxid", "ganeti-confd", "ganeti-mond"];

    /// <summary>
    /// One up and down on a fake cluster before the tests, so that each test's time is the
    /// lifecycle's own and not the just-in-time compilation of the runtime (150-200 ms, paid
    /// by whichever test came first).
    /// </summary>
    [ClassInitialize]
    public static void CompileTheRuntime(TestContext _)
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        cluster.Runtime().Status();
        cluster.Runtime().Down(CancellationToken.None);
    }

    [TestMethod]
    public void UpRunsThePhasesInOrderAndRecordsEveryProcess()
    {
        using var cluster = new TestCluster();

        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));

        var state = cluster.State!;
        Assert.IsTrue(state.UpCompleted);
        Assert.IsNull(state.UpFailure);
        // Every daemon of every node's role (the master six, the others three), and the tool's three services.
        Assert.HasCount(6 + 2 * 3 + 3, state.Processes, string.Join(", ", state.Processes.Select(p => $"{p.Node}/{p.Name}")));
        Assert.IsNotNull(state.Rapi);
        var status = cluster.Runtime().Status();
        Assert.AreEqual(ClusterState.Up, status.State, string.Join("; ", status.Problems));
        CollectionAssert.AreEqual(
            new[] { "sandbox", "services", "init or resume", "join", "daemons", "readiness", "instances", "forwarder", "watcher" },
            UpSequence.Phases(new UpOptions()).Select(p => p.Name).ToArray());
        Assert.AreEqual(1, cluster.Host.Commands.Count(c => c.StartsWith("unshare", StringComparison.Ordinal)));
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None), "a second up");
        Assert.AreEqual(1, cluster.Host.Commands.Count(c => c.StartsWith("unshare", StringComparison.Ordinal)), "a cluster that is up is left as it is");
        StringAssert.Contains(cluster.Progress.ToString(), "is already up");
    }

    /// <summary>
    /// Resume: Ganeti 3.0's luxid activates the master IP itself when it starts. The tool once
    /// activated it too, at once, and the two activations raced: master-ip-setup took the
    /// address just added for another machine's and failed the resume, now and then. The tool
    /// waits for luxid's activation (noded's log shows its RPC) before it looks.
    /// </summary>
    [TestMethod]
    public void ResumeWaitsForLuxidsOwnMasterIpActivationInsteadOfRacingIt()
    {
        using var cluster = new TestCluster();
        cluster.Host.MasterIpDelay = 3;

        Assert.AreEqual(0, cluster.Runtime(readyTimeout: TimeSpan.FromSeconds(5)).Up(CancellationToken.None));

        Assert.IsTrue(cluster.Host.HasClusterIp);
        Assert.IsFalse(cluster.Host.Commands.Any(c => c.Contains("activate-master-ip", StringComparison.Ordinal)),
            "the tool activated the master IP while luxid's own activation was under way:\n" + string.Join('\n', cluster.Host.Commands));
        // The members' own daemons first: the master's wconfd asks the other nodes' noded to vote.
        var starts = cluster.Host.Commands.Select((c, i) => (c, i)).Where(x => x.c.Contains("daemon-util", StringComparison.Ordinal)).ToList();
        var masterStart = starts.First(s => s.c.Contains("ganeti-wconfd", StringComparison.Ordinal)).i;
        Assert.IsTrue(starts.Where(s => s.c.Contains("/node2/", StringComparison.Ordinal) || s.c.Contains("/node3/", StringComparison.Ordinal))
            .Any(s => s.i < masterStart), "another node's noded started before the master's wconfd");
    }

    [TestMethod]
    public void WhenLuxidsActivationEndsWithoutTheAddressTheToolActivatesIt()
    {
        using var cluster = new TestCluster();
        cluster.Host.MasterIpDelay = 2;
        cluster.Host.OnLuxidStart = (host, master) => host.ActivateMasterIp(master, succeeds: false);

        Assert.AreEqual(0, cluster.Runtime(readyTimeout: TimeSpan.FromSeconds(5)).Up(CancellationToken.None));

        Assert.AreEqual(1, cluster.Host.Commands.Count(c => c.Contains("activate-master-ip", StringComparison.Ordinal)));
        Assert.IsTrue(cluster.Host.HasClusterIp);
    }

    /// <summary>
    /// A failed up leaves its state recorded: status says partial and why, and the next up
    /// continues in the same sandbox (it once found no record and started a second sandbox
    /// beside the first, whose daemons held the nodes' files).
    /// </summary>
    [TestMethod]
    public void AHalfFinishedUpIsPartialAndTheNextUpCompletesItInTheSameSandbox()
    {
        using var cluster = new TestCluster();
        var failing = true;
        cluster.Host.StartFails = (node, daemon) => failing && node == "node2" && daemon == "ganeti-confd";

        var error = Assert.ThrowsExactly<VClusterException>(() => cluster.Runtime().Up(CancellationToken.None));

        Assert.AreEqual(ErrorCodes.DaemonFailed, error.Diagnostics.Single().Code);
        StringAssert.Contains(error.Message, "node node2: ganeti-confd failed");
        var half = cluster.State!;
        Assert.IsFalse(half.UpCompleted);
        StringAssert.Contains(half.UpFailure, "ganeti-confd");
        var status = cluster.Runtime().Status();
        Assert.AreEqual(ClusterState.Partial, status.State);
        Assert.IsTrue(status.Problems.Any(p => p.StartsWith("the last 'up' failed", StringComparison.Ordinal)), string.Join("; ", status.Problems));
        Assert.AreEqual(ResourceState.Dead, status.Nodes[1].Daemons.Single(d => d.Name == "ganeti-confd").State);
        StringAssert.Contains(cluster.Progress.ToString(), "is partly up");

        failing = false;
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));

        Assert.AreEqual(1, cluster.Host.Commands.Count(c => c.StartsWith("unshare", StringComparison.Ordinal)), "one sandbox");
        Assert.AreEqual(half.SandboxPid, cluster.State!.SandboxPid);
        Assert.IsTrue(cluster.State.UpCompleted);
        Assert.AreEqual(ClusterState.Up, cluster.Runtime().Status().State);
        Assert.AreEqual(1, cluster.Host.Commands.Count(c => c.Contains("for d in ganeti-noded ", StringComparison.Ordinal) && c.Contains("/node2/", StringComparison.Ordinal)),
            "node2's noded, which ran, was not started again");
    }

    /// <summary>
    /// Pid reuse: a pid file left by a killed daemon may by now name another node's daemon
    /// (a resume of 250 nodes took node82's old pid file for node129's noded and never started
    /// node82's). The daemon runs only if that process runs the daemon's own executable.
    /// </summary>
    [TestMethod]
    public void APidFileThatNamesAnotherNodesDaemonIsNotTakenForTheDaemon()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        var other = cluster.Host.Daemon("node2", "ganeti-noded")!.Value;
        var node3 = cluster.Manifest.Node("node3").Daemons.Single(d => d.Name == "ganeti-noded");
        cluster.Host.Signal(cluster.Host.Daemon("node3", "ganeti-noded")!.Value, LinuxProcess.SigKill);
        File.WriteAllText(node3.PidFile, $"{other.Pid}\n");

        var status = cluster.Runtime().Status();

        Assert.AreEqual(ResourceState.Dead, status.Nodes[2].Daemons.Single(d => d.Name == "ganeti-noded").State);
        Assert.AreEqual(ClusterState.Partial, status.State);

        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));

        var started = cluster.Host.Daemon("node3", "ganeti-noded");
        Assert.IsNotNull(started, "node3's noded was started");
        Assert.AreEqual($"{started.Value.Pid}\n", File.ReadAllText(node3.PidFile));
        Assert.IsTrue(cluster.Host.IsRunning(other), "node2's noded was left alone");
    }

    /// <summary>
    /// stop-node ends the node's daemons and whatever else runs as the node (a noded worker
    /// left behind once held the node's port against the next noded), nothing of another
    /// node's, and tells the cluster's cron to leave the node alone until start-node.
    /// </summary>
    [TestMethod]
    public void StopNodeEndsEverythingOfTheNodeAndNothingElseUntilStartNode()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        var worker = cluster.Host.StartAsNode("node2", "/usr/bin/python3");
        var otherWorker = cluster.Host.StartAsNode("node3", "/usr/bin/python3");
        cluster.Host.Signals.Clear();

        cluster.Runtime().StopNode("node2", kill: false, CancellationToken.None);

        foreach (var daemon in Daemons)
            Assert.IsNull(cluster.Host.Daemon("node2", daemon), daemon);
        Assert.IsFalse(cluster.Host.IsRunning(worker));
        Assert.IsTrue(cluster.Host.IsRunning(otherWorker));
        Assert.IsNotNull(cluster.Host.Daemon("node3", "ganeti-noded"));
        Assert.IsTrue(cluster.Host.Signals.All(s => s.StartsWith("SIGTERM node2/", StringComparison.Ordinal)), string.Join(", ", cluster.Host.Signals));
        CollectionAssert.AreEqual(new[] { "node2" }, StoppedNodes.Read(cluster.Root).ToArray());
        var status = cluster.Runtime().Status();
        Assert.AreEqual(ClusterState.Partial, status.State);
        CollectionAssert.AreEquivalent(new[] { "node node2: ganeti-noded dead", "node node2: ganeti-confd dead", "node node2: ganeti-mond dead" }, status.Problems.ToArray());

        cluster.Runtime().StartNode("node2", CancellationToken.None);

        Assert.IsNotNull(cluster.Host.Daemon("node2", "ganeti-noded"));
        Assert.IsEmpty(StoppedNodes.Read(cluster.Root));
        Assert.AreEqual(ClusterState.Up, cluster.Runtime().Status().State);
    }

    [TestMethod]
    public void KillNodeSwitchesTheNodeOffWithSigkill()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        var worker = cluster.Host.StartAsNode("node3", "/usr/bin/python3");
        cluster.Host.Signals.Clear();

        cluster.Runtime().StopNode("node3", kill: true, CancellationToken.None);

        CollectionAssert.AreEquivalent(
            new[] { "SIGKILL node3/ganeti-noded", "SIGKILL node3/ganeti-confd", "SIGKILL node3/ganeti-mond", "SIGKILL node3/python3" },
            cluster.Host.Signals.ToArray());
        Assert.IsFalse(cluster.Host.IsRunning(worker));
        CollectionAssert.AreEqual(new[] { "node3" }, StoppedNodes.Read(cluster.Root).ToArray());

        // up brings the node back: a node switched off is not "already up".
        Assert.AreEqual(ClusterState.Partial, cluster.Runtime().Status().State);
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.DoesNotContain("already up", cluster.Progress.ToString());
        Assert.AreEqual(ClusterState.Up, cluster.Runtime().Status().State);
        Assert.IsEmpty(StoppedNodes.Read(cluster.Root));
    }

    /// <summary>A sandbox killed behind the tool's back (a reboot): up starts a new one, after stopping the forwarder that relayed into the old.</summary>
    [TestMethod]
    public void AfterTheSandboxDiedUpStartsANewOneAndResumes()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        var old = cluster.State!;
        cluster.Host.KillSandbox();
        Assert.AreEqual(ClusterState.Down, cluster.Runtime().Status().State);

        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));

        var now = cluster.State!;
        Assert.AreNotEqual(old.SandboxPid, now.SandboxPid);
        Assert.AreNotEqual(old.Rapi!.Pid, now.Rapi!.Pid);
        Assert.IsFalse(cluster.Host.IsRunning(old.Rapi.Process), "the old forwarder was stopped");
        Assert.AreEqual(ClusterState.Up, cluster.Runtime().Status().State);
    }

    /// <summary>
    /// An up killed after it started a new sandbox but before it recorded it (Ctrl+C at that
    /// moment): the next up stops that sandbox, named by its pid file, before it starts its own.
    /// </summary>
    [TestMethod]
    public void UpStopsASandboxThatAnInterruptedUpStartedWithoutRecordingIt()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        cluster.Host.KillSandbox();
        var unrecorded = new RuntimeState();
        new Sandbox(cluster.Manifest, cluster.Host).Ensure(unrecorded, CancellationToken.None);
        Assert.IsTrue(cluster.Host.IsRunning(unrecorded.Sandbox));
        Assert.AreNotEqual(unrecorded.SandboxPid, cluster.State!.SandboxPid, "not recorded");

        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));

        Assert.IsFalse(cluster.Host.IsRunning(unrecorded.Sandbox), "the unrecorded sandbox was stopped");
        Assert.AreNotEqual(unrecorded.SandboxPid, cluster.State!.SandboxPid);
        Assert.AreEqual(ClusterState.Up, cluster.Runtime().Status().State);
        // A pid file naming the running, recorded sandbox is left alone.
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.IsTrue(cluster.Host.IsRunning(cluster.State!.Sandbox));
    }

    /// <summary>crash: the sandbox and all in it killed at once, the run-time state kept for the next up to resume from.</summary>
    [TestMethod]
    public void CrashKillsEverythingAtOnceAndUpResumes()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        var old = cluster.State!;
        cluster.Host.Signals.Clear();

        Assert.AreEqual(0, cluster.Runtime().Crash());

        Assert.IsTrue(cluster.Host.Signals.All(s => s.StartsWith("SIGKILL ", StringComparison.Ordinal)), string.Join(", ", cluster.Host.Signals));
        Assert.IsTrue(cluster.Host.Signals.Any(), "the sandbox was killed");
        Assert.IsFalse(cluster.Host.IsRunning(old.Sandbox));
        Assert.AreEqual(ClusterState.Down, cluster.Runtime().Status().State);
        Assert.AreEqual(old.SandboxPid, cluster.State!.SandboxPid, "the state stays for up to resume from");
        Assert.AreEqual(0, cluster.Runtime().Up(CancellationToken.None));
        Assert.AreEqual(ClusterState.Up, cluster.Runtime().Status().State);
    }

    [TestMethod]
    public void DownStopsEveryProcessAndForgetsTheRunTimeState()
    {
        using var cluster = new TestCluster();
        cluster.Runtime().Up(CancellationToken.None);
        var state = cluster.State!;

        cluster.Runtime().Down(CancellationToken.None);

        Assert.IsNull(cluster.State);
        Assert.IsFalse(cluster.Host.IsRunning(state.Sandbox));
        Assert.IsFalse(cluster.Host.InUserNamespace(state.SandboxUserNamespace).Any());
        // The master last, and gently: its wconfd and luxid write the configuration.
        var master = cluster.Host.Signals.Where(s => s.Contains("node1/", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(master.All(s => s.StartsWith("SIGTERM", StringComparison.Ordinal)), string.Join(", ", master));
        Assert.AreEqual(ClusterState.Down, cluster.Runtime().Status().State);
    }
}
