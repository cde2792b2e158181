using VCluster.Tool.Qa;

namespace VCluster.Tool.Tests;

/// <summary>Reading QA's output and counting it: passed, failed, returned without testing, skipped by QA, and the switches by their part of the plan.</summary>
[TestClass]
public sealed class QaReportTests
{
    private static readonly QaCluster WithoutLvm = new(["diskless", "file", "sharedfile"], null, 0);
    private static readonly QaCluster WithLvm = new(["diskless", "file", "sharedfile", "plain"], "xenvg", 1);

    /// <summary>As qa/ganeti-qa.py prints a test (RunTest): header, outcome, time.</summary>
    private static IEnumerable<string> Test(string name, string description, string outcome = "PASSED", string seconds = "0:00:01.000000") =>
    [
        $"<<<< 2026-12-05 10:00:00.000000 start [{name}] {description} ---",
        $"---- {outcome} [{name}] {description} ---",
        $">>>> 2026-12-05 10:00:01.000000 time={seconds} [{name}] {description} ---",
    ];

    /// <summary>
    /// Parts of a whole run as QA 3.0.2 prints them: a group test (which returns without LVM),
    /// the OS switch QA gates itself, then a file and a shared-file instance block (failover and
    /// migration return for file instances, the primary change for shared-file ones), user
    /// shutdown (Xen and KVM only), and a failure.
    /// </summary>
    private static readonly string[] WholeRunSample =
    [
        .. Test("TestGroupModify", "gnt-group modify", seconds: "0:00:00.000051"),
        "**** 2026-12-05 10:00:02.000000 skipping [TestOsList] gnt-os list, test(s) ['os', <function NoVirtualCluster at 0x7f0e2c1b3e20>] disabled",
        .. Test("TestInstanceAddFile", "gnt-instance add -t file"),
        .. Test("TestInstanceUserDown", "Tests user shutdown", seconds: "0:00:00.000022"),
        .. Test("TestInstanceModifyPrimaryAndBack", "gnt-instance modify --new-primary", seconds: "0:00:12.700000"),
        .. Test("TestInstanceFailover", "gnt-instance failover", seconds: "0:00:00.000044"),
        .. Test("TestInstanceMigrate", "gnt-instance migrate", seconds: "0:00:00.000040"),
        .. Test("TestInstanceRemove", "gnt-instance remove"),
        .. Test("TestInstanceAddSharedFile", "gnt-instance add -t sharedfile"),
        .. Test("TestInstanceModifyPrimaryAndBack", "gnt-instance modify --new-primary", seconds: "0:00:00.000030"),
        .. Test("TestInstanceFailover", "gnt-instance failover", seconds: "0:00:04.500000"),
        "---- FAILED [TestInstanceMigrate] gnt-instance migrate: Command 'gnt-instance migrate' failed: 1 ---",
    ];

    [TestMethod]
    public void TheReportReadsWhatGanetiQaPrints()
    {
        // As qa/ganeti-qa.py prints (RunTest, ReportTestSkip), colours included.
        var results = QaReport.Parse(
        [
            "<<<< 2026-12-01 10:00:00.000001 start [TestClusterVerify] Verify cluster -------------------",
            "\u001b[32m---- PASSED [TestClusterVerify] Verify cluster -----------------------------\u001b[0m",
            ">>>> 2026-12-01 10:00:12.500001 time=0:00:12.500000 [TestClusterVerify] Verify cluster ------",
            "<<<< 2026-12-01 10:00:13 start [TestNodeInfo] gnt-node info ---",
            "---- FAILED [TestNodeInfo] gnt-node info: Command 'gnt-node info' failed: 1 ---",
            ">>>> 2026-12-01 10:01:13.000000 time=0:01:00 [TestNodeInfo] gnt-node info ---",
            "**** 2026-12-01 10:01:14.000000 skipping [TestNodeVolumes] gnt-node volumes, test(s) node-volumes disabled",
            // A test function without a docstring, as QA printed TestInstanceDeviceNames.
            "<<<< 2026-12-01 20:22:13.777619 start <function TestInstanceDeviceNames at 0x7f4a462420c0>",
            "---- FAILED <function TestInstanceDeviceNames at 0x7f4a462420c0>: Command 'gnt-instance modify' on node node1 failed, exit code 1",
            ">>>> 2026-12-01 20:22:18.335822 time=0:00:04.558203 <function TestInstanceDeviceNames at 0x7f4a462420c0>",
        ]);
        Assert.HasCount(4, results);
        Assert.AreEqual(new QaResult("TestInstanceDeviceNames", "", QaOutcome.Failed, 4.558203,
            "Command 'gnt-instance modify' on node node1 failed, exit code 1"), results[3]);
        results.RemoveAt(3);
        Assert.AreEqual(new QaResult("TestClusterVerify", "Verify cluster", QaOutcome.Passed, 12.5, null), results[0]);
        Assert.AreEqual(QaOutcome.Failed, results[1].Outcome);
        Assert.AreEqual("Command 'gnt-node info' failed: 1", results[1].Message);
        Assert.AreEqual(60, results[1].Seconds);
        Assert.AreEqual(QaOutcome.Skipped, results[2].Outcome);
        Assert.AreEqual("TestNodeVolumes", results[2].Name);
        StringAssert.Contains(results[2].Message, "node-volumes");
    }

    [TestMethod]
    public void EachResultKnowsTheTemplateOfItsInstanceBlock()
    {
        var results = QaReport.Parse(WholeRunSample);
        CollectionAssert.AreEqual(
            new string?[] { null, null, "file", "file", "file", "file", "file", "file", "sharedfile", "sharedfile", "sharedfile", "sharedfile" },
            results.Select(r => r.DiskTemplate).ToList());
    }

    [TestMethod]
    public void PassesThatReturnedWithoutTestingAreNotCountedAsPassed()
    {
        var results = QaReport.Classify(QaReport.Parse(WholeRunSample), WithoutLvm);
        string Outcome(string name, string template) => results.Single(r => r.Name == name && r.DiskTemplate == template).Outcome.ToString();

        Assert.AreEqual(QaOutcome.ReturnedWithoutTesting, results.Single(r => r.Name == "TestGroupModify").Outcome, "no LVM template");
        Assert.AreEqual(QaOutcome.ReturnedWithoutTesting, results.Single(r => r.Name == "TestInstanceUserDown").Outcome, "Xen and KVM only");
        Assert.AreEqual("ReturnedWithoutTesting", Outcome("TestInstanceFailover", "file"), "file is not mirrored");
        Assert.AreEqual("ReturnedWithoutTesting", Outcome("TestInstanceMigrate", "file"));
        Assert.AreEqual("Passed", Outcome("TestInstanceFailover", "sharedfile"), "sharedfile is");
        Assert.AreEqual("Failed", Outcome("TestInstanceMigrate", "sharedfile"));
        Assert.AreEqual("Passed", Outcome("TestInstanceModifyPrimaryAndBack", "file"));
        Assert.AreEqual("ReturnedWithoutTesting", Outcome("TestInstanceModifyPrimaryAndBack", "sharedfile"), "file instances only");
        var untested = results.First(r => r.Outcome == QaOutcome.ReturnedWithoutTesting);
        StringAssert.Contains(untested.Message, "qa/qa_group.py:299-300", "the reason comes with its evidence");

        var plan = QaPlan.For(WithoutLvm, null);
        var counts = QaCounts.Of(results, plan);
        Assert.AreEqual(new QaCounts(Passed: 5, Failed: 1, ReturnedWithoutTesting: 5, Skipped: 1,
            SwitchesOn: plan.On.Count, SwitchedOff: plan.SwitchedOff.Count, LeftOut: 0), counts);
        Assert.AreEqual(QaPolicy.Switches.Count, counts.SwitchesOn + counts.SwitchedOff);
        StringAssert.StartsWith(counts.ToString(), "5 passed, 1 failed, 5 returned without testing (not counted as passed), 1 reported skipped by QA; switches: ");

        // With LVM, the group test tests.
        var withLvm = QaReport.Classify(QaReport.Parse(WholeRunSample), WithLvm);
        Assert.AreEqual(QaOutcome.Passed, withLvm.Single(r => r.Name == "TestGroupModify").Outcome);
    }

    [TestMethod]
    public void TheJUnitFileCountsLikeTheSummary()
    {
        var plan = QaPlan.For(WithoutLvm, QaPolicy.Quick);
        var results = QaReport.Classify(QaReport.Parse(WholeRunSample), WithoutLvm);
        var suite = QaReport.JUnit("ganeti-qa", results, plan).Root!;
        var cases = suite.Elements("testcase").ToList();
        Assert.HasCount(results.Count + plan.SwitchedOff.Count + plan.LeftOut.Count, cases, "a case per result, per switch off and per switch left out");
        Assert.AreEqual(cases.Count.ToString(), suite.Attribute("tests")!.Value, "every test case, the skipped ones too (a whole run's file once said 208 of 239)");
        Assert.AreEqual("1", suite.Attribute("failures")!.Value);
        Assert.AreEqual((cases.Count - 1 - 5).ToString(), suite.Attribute("skipped")!.Value, "all but the failure and the five passes");
        var properties = suite.Element("properties")!.Elements("property").ToDictionary(p => p.Attribute("name")!.Value, p => p.Attribute("value")!.Value);
        Assert.AreEqual("5", properties["passed"]);
        Assert.AreEqual("5", properties["returned-without-testing"]);
        Assert.AreEqual("1", properties["skipped-by-qa"]);
        Assert.AreEqual(QaPolicy.Quick.Count.ToString(), properties["switches-on"]);
        Assert.AreEqual(plan.SwitchedOff.Count.ToString(), properties["switched-off"]);
        Assert.AreEqual(plan.LeftOut.Count.ToString(), properties["left-out"]);
        Assert.AreEqual(QaPolicy.Switches.Count, plan.On.Count + plan.SwitchedOff.Count + plan.LeftOut.Count);

        var failover = cases.First(c => c.Attribute("name")!.Value.StartsWith("TestInstanceFailover:", StringComparison.Ordinal));
        StringAssert.StartsWith(failover.Element("skipped")!.Attribute("message")!.Value, "returned without testing: ");
        var drbd = cases.Single(c => c.Attribute("name")!.Value == "instance-add-drbd-disk");
        StringAssert.Contains(drbd.Element("skipped")!.Attribute("message")!.Value, "lib/storage/drbd_info.py:285-286");
        var leftOut = cases.Single(c => c.Attribute("name")!.Value == "cluster-renew-crypto");
        StringAssert.StartsWith(leftOut.Element("skipped")!.Attribute("message")!.Value, "left out");
    }
}
