using System.Text.Json.Nodes;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// A user's whole session with a cluster, against real Ganeti 3.0: build it up, use it,
/// crash a node, bring it back, stop and resume it.
/// </summary>
[TestClass]
public sealed class ClusterLifecycleTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void DefaultThreeNodeCluster() => Lifecycle("""<Project Sdk="VCluster.Sdk" />""", ["node1", "node2", "node3"], destroyAtEnd: true, deep: true);

    [TestMethod]
    [Timeout(1_500_000, CooperativeCancellation = true)]
    public void TenNodeCluster() => Lifecycle("""
        <Project Sdk="VCluster.Sdk">
          <PropertyGroup><VClusterNodeCount>10</VClusterNodeCount></PropertyGroup>
        </Project>
        """, Enumerable.Range(1, 10).Select(i => $"node{i}").ToArray());

    private void Lifecycle(string project, string[] nodes, bool destroyAtEnd = false, bool deep = false)
    {
        var repo = NewRepository(project, deep: deep);

        // Up, through MSBuild, as an ordinary user.
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        StringAssert.Contains(up.Output, $"cluster 'cluster' is up: {nodes.Length} nodes");

        // Every node online in Ganeti's own view, through a node's cmd named relative to the repository.
        var list = As(repo, [".vcluster/cluster/nodes/node1/cmd", "gnt-node", "list", "--no-headers", "-o", "name,offline,master_candidate"]);
        Assert.AreEqual(0, list.ExitCode, list.ToString());
        var rows = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        CollectionAssert.AreEquivalent(nodes, rows.Select(r => r[0]).ToArray(), list.Output);
        Assert.IsTrue(rows.All(r => r[1] == "N"), $"a node is offline:\n{list.Output}");

        // A node's cmd takes one command line, as Ganeti's vcluster-setup writes it (QA relies on it).
        var hostname = As(repo, [".vcluster/cluster/nodes/node2/cmd", "echo $GANETI_HOSTNAME"]);
        Assert.AreEqual("node2", hostname.Output.Trim(), hostname.ToString());
        // A node's environment is its own: a hosts map the caller's nss_wrapper reads (as QA's
        // harness on the machine has) would hide the node's /etc/hosts from every daemon the
        // command starts.
        var inherited = As(repo, ["env", "NSS_WRAPPER_HOSTS=/nonexistent/hosts", ".vcluster/cluster/nodes/node2/cmd", "echo ${NSS_WRAPPER_HOSTS-none}"]);
        Assert.AreEqual("none", inherited.Output.Trim(), inherited.ToString());
        // The sandbox is a machine with its own pids and an init that reaps at once: each daemon
        // detaches to it, and five orphans that end are gone within a second, as on a machine
        // whose init reaps on SIGCHLD (start-stop-daemon --stop waits for that). This machine's
        // own init reaped on a 2-s timer, and stop-all took 10-12 s a node.
        var init = Tool(repo, "exec", "node2", "--", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; ps -o ppid= -p $(cat /mnt/nodes/node2/var/run/ganeti/ganeti-noded.pid)");
        StringAssert.Contains(init.Output, "vcluster-sandbox-init", init.ToString());
        Assert.AreEqual("1", init.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim(), "noded's parent is the sandbox's init: " + init);
        var reaped = Tool(repo, "exec", "node2", "--", "sh", "-c",
            "pids=$(for i in 1 2 3 4 5; do sh -c 'sleep 0.2 & echo $!'; done); sleep 1.2; for p in $pids; do [ -e /proc/$p ] && echo \"left: $p $(cat /proc/$p/stat)\"; done; true");
        Assert.AreEqual("", reaped.Output.Trim(), "orphans not reaped within a second of their end: " + reaped);
        // Its "localhost" is its own address: gnt-node list-drbd asks the local confd there.
        var drbd = Tool(repo, "exec", "node1", "--", "gnt-node", "list-drbd", "node1");
        Assert.AreEqual(0, drbd.ExitCode, drbd.ToString());

        // Each node resolves names from its own /etc/hosts, which it may change as QA does
        // (a new file moved into place), for itself alone; then from the cluster's DNS, which
        // knows the cluster, every node and every reserved instance name (QaTests' rename
        // test shows a node's own entry winning over it).
        var own = Tool(repo, "exec", "node2", "--", "cat", "/etc/hosts");
        Assert.IsFalse(own.Output.Contains("node3", StringComparison.Ordinal), own.Output);
        var fromDns = Tool(repo, "exec", "node2", "--", "python3", "-c", "import socket; print(socket.gethostbyname_ex('node3')[0], socket.gethostbyname('node3'))");
        Assert.AreEqual(0, fromDns.ExitCode, fromDns.ToString());
        StringAssert.StartsWith(fromDns.Output, "node3 192.0.2.", fromDns.ToString());
        var edit = Tool(repo, "exec", "node1", "--", "sh", "-c", "{ cat /etc/hosts; echo '192.0.2.250 qa-probe'; } > /etc/hosts.new && mv /etc/hosts.new /etc/hosts");
        Assert.AreEqual(0, edit.ExitCode, edit.ToString());
        StringAssert.Contains(Tool(repo, "exec", "node1", "--", "getent", "hosts", "qa-probe").Output, "192.0.2.250");
        Assert.AreNotEqual(0, Tool(repo, "exec", "node2", "--", "getent", "hosts", "qa-probe").ExitCode, "node2's /etc/hosts is its own");
        Assert.AreEqual(0, Tool(repo, "exec", "node1", "--", "sed", "-i", "/qa-probe/d", "/etc/hosts").ExitCode);

        // An instance with the fake hypervisor on a chosen secondary node.
        var target = nodes[^1];
        var add = Tool(repo, "exec", "node1", "--", "gnt-instance", "add", "-t", "diskless", "-o", "noop", "-H", "fake",
            "--no-name-check", "--no-ip-check", "--no-nics", "-n", target, "inst1");
        Assert.AreEqual(0, add.ExitCode, add.ToString());
        var instance = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,pnode,status");
        StringAssert.Contains(instance.Output.Replace("  ", " "), $"inst1 {target} running");
        var uuid = ClusterUuid(repo);

        // gnt-cluster verify, ignoring nothing: not even the node setup check, which a kernel
        // without /proc/sysrq-trigger failed before nodes were given one (docs/verify.md).
        var verify = As(repo, ["dotnet", "build", "-t:VClusterVerify", "-nodeReuse:false"]);
        Assert.AreEqual(0, verify.ExitCode, verify.ToString());
        Assert.DoesNotContain("- ERROR:", verify.Output, verify.Output);
        Assert.DoesNotContain("- WARNING:", verify.Output, verify.Output);
        Assert.DoesNotContain("ENODESETUP", verify.Output, verify.Output);

        // Every daemon running.
        var status = StatusJson(repo);
        Assert.AreEqual("up", status["state"]!.GetValue<string>(), status.ToJsonString());
        Assert.AreEqual(0, status["problems"]!.AsArray().Count, status.ToJsonString());
        foreach (var node in status["nodes"]!.AsArray())
        {
            var daemons = node!["daemons"]!.AsArray().Where(d => d!["state"]!.GetValue<string>() != "not-needed").ToList();
            Assert.IsTrue(daemons.Any(d => d!["name"]!.GetValue<string>() == "ganeti-noded"));
            foreach (var d in daemons)
                Assert.AreEqual("running", d!["state"]!.GetValue<string>(), $"{node["name"]}: {d["name"]}");
        }

        // RAPI from the host, as the ordinary user: curl, hbal and Ganeti's Python client.
        var rapi = Rapi(repo);
        AssertRapiFromTheHost(repo, rapi, nodes.Length);

        // A crashed node shows as dead, and up brings it back.
        var crashed = nodes[1];
        Assert.AreEqual(0, Tool(repo, "kill-node", crashed).ExitCode);
        var afterKill = StatusJson(repo)["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == crashed)!;
        Assert.IsTrue(afterKill["daemons"]!.AsArray().Where(d => d!["state"]!.GetValue<string>() != "not-needed")
            .All(d => d!["state"]!.GetValue<string>() == "dead"), afterKill.ToJsonString());
        var crashedStatus = StatusJson(repo);
        Assert.AreEqual("partial", crashedStatus["state"]!.GetValue<string>());
        CollectionAssert.Contains(crashedStatus["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToArray(), $"node {crashed}: ganeti-noded dead");
        var again = Tool(repo, "up");
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        Assert.AreEqual("running", DaemonState(StatusJson(repo), crashed, "ganeti-noded"));

        // A second up on a running cluster changes nothing.
        var noop = Tool(repo, "up");
        Assert.AreEqual(0, noop.ExitCode, noop.ToString());
        StringAssert.Contains(noop.Output, "already up");

        // Down leaves no process of the cluster behind; up resumes the same cluster.
        var sandbox = SandboxUserNamespace(Tool(repo, "status", "--json"));
        var down = As(repo, ["dotnet", "build", "-t:VClusterDown", "-nodeReuse:false"]);
        Assert.AreEqual(0, down.ExitCode, down.ToString());
        Assert.AreEqual("", ClusterProcesses(Path.Combine(repo, ".vcluster/cluster"), sandbox), "processes left running after down");
        Assert.AreEqual("down", StatusJson(repo)["state"]!.GetValue<string>());
        Assert.AreEqual("", Host("/", ["ss", "--no-header", "--listening", "--numeric", "--tcp", $"sport = :{rapi.Port}"]).Output.Trim(),
            "the RAPI port still listens after down");
        Assert.AreNotEqual(0, As(repo, ["curl", "-sk", "-o", "/dev/null", $"{rapi.Url}/2/info"]).ExitCode);

        // An up that fails half-way (a node's key unreadable) says so, and leaves a state that
        // status calls partial, that up completes once the cause is gone, and that down stops.
        var broken = Path.Combine(repo, $".vcluster/cluster/nodes/{nodes[^1]}/var/lib/ganeti/server.pem");
        Assert.AreEqual(0, As(repo, ["sh", "-c", $"mv '{broken}' '{broken}.saved' && echo garbage > '{broken}'"]).ExitCode);
        var failed = Tool(repo, "up");
        Assert.AreNotEqual(0, failed.ExitCode, failed.ToString());
        StringAssert.Contains(failed.Output, $"error VCS0023: node {nodes[^1]}: ganeti-noded failed");
        StringAssert.Contains(failed.Output, "is partly up: 'dotnet vcluster up' completes it, 'dotnet vcluster down' stops it");
        var half = StatusJson(repo);
        Assert.AreEqual("partial", half["state"]!.GetValue<string>(), half.ToJsonString());
        var problems = half["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.IsTrue(problems.Any(p => p.StartsWith($"the last 'up' failed: node {nodes[^1]}: ganeti-noded failed", StringComparison.Ordinal)), string.Join('\n', problems));
        CollectionAssert.Contains(problems, "the RAPI forwarder is dead");
        StringAssert.Contains(Tool(repo, "status").Output, "cluster cluster: partly up");
        Assert.AreEqual(0, As(repo, ["mv", $"{broken}.saved", broken]).ExitCode);

        var resumed = Tool(repo, "up");
        Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
        Assert.AreEqual("up", StatusJson(repo)["state"]!.GetValue<string>());
        Assert.AreEqual(uuid, ClusterUuid(repo));
        // The master IP comes back as on a rebooted master: luxid activates it when it starts.
        // The tool waits for that and never races it with an activation of its own.
        var jobs = Tool(repo, "exec", "node1", "--", "gnt-job", "list", "--no-headers", "-o", "summary");
        Assert.DoesNotContain("CLUSTER_ACTIVATE_MASTER_IP", jobs.Output, jobs.Output);
        StringAssert.Contains(Tool(repo, "exec", "node1", "--", "ip", "-o", "address", "show", "dev", "lo").Output, " 192.0.2.1/");
        var after = Tool(repo, "exec", "node1", "--", "gnt-instance", "list", "--no-headers", "-o", "name,pnode,status");
        StringAssert.Contains(after.Output.Replace("  ", " "), $"inst1 {target} running", after.ToString());
        // The same RAPI user again: its credentials are written once.
        var resumedRapi = Rapi(repo);
        Assert.AreEqual(rapi.Credentials, resumedRapi.Credentials);
        StringAssert.Contains(Curl(repo, resumedRapi, "/2/info").Output, "\"name\": \"cluster\"");

        var logs = Tool(repo, "logs", "node1", "noded", "-n", "5");
        Assert.AreEqual(0, logs.ExitCode, logs.ToString());
        StringAssert.Contains(logs.Output, "ganeti-noded pid=");

        if (destroyAtEnd)
        {
            // Destroy removes the cluster's state: the next up initialises another cluster.
            var destroy = Tool(repo, "destroy", "--yes");
            Assert.AreEqual(0, destroy.ExitCode, destroy.ToString());
            Assert.IsFalse(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/var/lib/ganeti/config.data")));
            Assert.IsTrue(File.Exists(Path.Combine(repo, ".vcluster/cluster/nodes/node1/cmd")), "generated files stay");
            var fresh = Tool(repo, "up");
            Assert.AreEqual(0, fresh.ExitCode, fresh.ToString());
            Assert.AreNotEqual(uuid, ClusterUuid(repo));
            var freshRapi = Rapi(repo);
            Assert.AreNotEqual(rapi.Credentials, freshRapi.Credentials, "a destroyed cluster's RAPI password went with it");
            StringAssert.Contains(Curl(repo, freshRapi, "/2/info").Output, "\"name\": \"cluster\"");
        }

        Assert.AreEqual(0, Tool(repo, "down").ExitCode);
    }

    private sealed record RapiEndpoint(string Url, int Port, string Credentials, string CredentialsFile);

    /// <summary>The RAPI URL and credentials file status prints, and the credentials, read as the cluster's user.</summary>
    private static RapiEndpoint Rapi(string repo)
    {
        var rapi = StatusJson(repo)["rapi"]!;
        Assert.AreEqual("running", rapi["state"]!.GetValue<string>(), rapi.ToJsonString());
        var url = rapi["url"]!.GetValue<string>();
        StringAssert.StartsWith(url, "https://127.0.0.1:");
        var file = rapi["credentialsFile"]!.GetValue<string>();
        Assert.AreEqual(Path.Combine(repo, ".vcluster/cluster/rapi-credentials"), file);
        // Only its owner may read it.
        var mode = As(repo, ["stat", "-c", "%a %U", file]);
        Assert.AreEqual($"600 {(IsRoot ? Name : Environment.UserName)}", mode.Output.Trim(), mode.ToString());
        var credentials = As(repo, ["cat", file]);
        Assert.AreEqual(0, credentials.ExitCode, credentials.ToString());
        StringAssert.StartsWith(credentials.Output, rapi["user"]!.GetValue<string>() + ":");
        var port = int.Parse(url[(url.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new RapiEndpoint(url, port, credentials.Output.Trim(), file);
    }

    private static Run Curl(string repo, RapiEndpoint rapi, string path, params string[] options)
    {
        var run = As(repo, ["curl", "-sS", "-k", "--fail-with-body", "-u", rapi.Credentials, .. options, rapi.Url + path]);
        Assert.AreEqual(0, run.ExitCode, $"curl {path}: {run}");
        return run;
    }

    private static void AssertRapiFromTheHost(string repo, RapiEndpoint rapi, int nodeCount)
    {
        StringAssert.Contains(Curl(repo, rapi, "/2/info").Output, "\"name\": \"cluster\"");

        // Writing takes the generated user: without it, or with a wrong password, 401.
        foreach (var who in new[] { Array.Empty<string>(), ["-u", "vcluster:wrong"] })
        {
            var refused = As(repo, ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", .. who, $"{rapi.Url}/2/tags?tag=e2e-refused"]);
            Assert.AreEqual("401", refused.Output.Trim(), refused.ToString());
        }
        var job = Curl(repo, rapi, "/2/tags?tag=e2e-rapi", "-X", "PUT").Output.Trim();
        Assert.IsTrue(int.TryParse(job, out _), job);
        var status = "";
        VCluster.Engine.Wait.Until(() => (status = JsonNode.Parse(Curl(repo, rapi, $"/2/jobs/{job}").Output)!["status"]!.GetValue<string>()) is "success" or "error" or "canceled",
            TimeSpan.FromMinutes(2), interval: TimeSpan.FromMilliseconds(200));
        Assert.AreEqual("success", status, $"job {job}");
        StringAssert.Contains(Curl(repo, rapi, "/2/tags").Output, "e2e-rapi");

        // htools read the cluster through RAPI (-m takes the URL: a bare host:port would mean plain HTTP).
        var hbal = As(repo, ["hbal", "-m", rapi.Url]);
        Assert.AreEqual(0, hbal.ExitCode, hbal.ToString());
        StringAssert.Contains(hbal.Output, $"Loaded {nodeCount} nodes, 1 instances", hbal.ToString());

        // Debian's python3-ganeti-rapi client, with the credentials file.
        var python = As(repo, ["/usr/bin/python3", "-c", $$"""
            from ganeti.rapi import client
            user, password = open("{{rapi.CredentialsFile}}").read().strip().split(":", 1)
            rapi = client.GanetiRapiClient("127.0.0.1", port={{rapi.Port}}, username=user, password=password)
            print(" ".join(rapi.GetInstances()))
            print(rapi.GetInfo()["name"])
            """]);
        Assert.AreEqual(0, python.ExitCode, python.ToString());
        Assert.AreEqual("inst1\ncluster", python.Output.Trim(), python.ToString());

        // The forwarder is the cluster's one listener outside the sandbox.
        var listening = As(repo, ["ss", "--no-header", "--listening", "--numeric", "--tcp", "--udp", "--processes"]);
        var ours = listening.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, "users:\\(\\(\"(socat|nsenter|sleep|python3|ganeti-[a-z]+|ssh|sshd)\""))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4]).ToList();
        CollectionAssert.AreEqual(new[] { $"127.0.0.1:{rapi.Port}" }, ours, listening.Output);
    }

    private static string ClusterUuid(string repo)
    {
        var info = Tool(repo, "exec", "node1", "--", "gnt-cluster", "info");
        Assert.AreEqual(0, info.ExitCode, info.ToString());
        var line = info.Output.Split('\n').Single(l => l.Contains("Cluster UUID:"));
        return line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static JsonNode StatusJson(string repo)
    {
        var status = Tool(repo, "status", "--json");
        Assert.AreEqual(0, status.ExitCode, status.ToString());
        return JsonNode.Parse(status.Output)!;
    }

    private static string DaemonState(JsonNode status, string node, string daemon) =>
        status["nodes"]!.AsArray().Single(n => n!["name"]!.GetValue<string>() == node)!["daemons"]!.AsArray()
            .Single(d => d!["name"]!.GetValue<string>() == daemon)!["state"]!.GetValue<string>();
}
