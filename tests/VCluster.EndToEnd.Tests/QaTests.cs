using System.Xml.Linq;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// Ganeti's own QA suite, unmodified, fetched from Debian's source package, against a virtual
/// cluster made by the README's first command: the quick subset (cluster, node, instance and
/// job tests, file instances) passes, and the results come as JUnit XML.
/// </summary>
[TestClass]
public sealed class QaTests
{
    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public void GanetisQuickQaPassesOnAVirtualCluster()
    {
        var repo = NewRepository("""
            <Project Sdk="VCluster.Sdk">
              <PropertyGroup><VClusterInstanceCount>8</VClusterInstanceCount></PropertyGroup>
            </Project>
            """);
        var up = As(repo, ["dotnet", "build", "-t:VClusterUp", "-nodeReuse:false"]);
        Assert.AreEqual(0, up.ExitCode, up.ToString());
        try
        {
            var junit = Path.Combine(repo, "qa.xml");
            var qa = As(repo, ["dotnet", "build", "-t:VClusterQa", "-nodeReuse:false", $"-p:VClusterQaArguments=--tests quick --junit {junit}"],
                TimeSpan.FromMinutes(25));
            Assert.AreEqual(0, qa.ExitCode, qa.ToString());
            StringAssert.Contains(qa.Output, " 0 failed, 0 returned without testing");

            var suite = XDocument.Load(junit).Root!;
            Assert.AreEqual("0", suite.Attribute("failures")!.Value, suite.ToString());
            var passed = suite.Elements("testcase").Where(t => !t.Elements().Any()).Select(t => t.Attribute("name")!.Value).ToList();
            foreach (var test in new[] { "TestClusterVerify", "TestNodeInfo", "TestInstanceAddFile", "TestInstanceShutdown", "TestInstanceReboot", "TestInstanceRenameAndBack", "TestJobList" })
                Assert.IsTrue(passed.Any(p => p.StartsWith(test + ":", StringComparison.Ordinal)), $"{test} did not pass:\n{string.Join('\n', passed)}");

            // The counts as the summary gives them; every switch of QA is on, off or left out.
            var counts = suite.Element("properties")!.Elements("property").ToDictionary(p => p.Attribute("name")!.Value, p => int.Parse(p.Attribute("value")!.Value));
            Assert.AreEqual(passed.Count, counts["passed"], suite.ToString());
            Assert.AreEqual(0, counts["returned-without-testing"], "no test of the quick subset returns without testing");
            Assert.AreEqual(18, counts["switches-on"]);
            Assert.AreEqual(93, counts["switches-on"] + counts["switched-off"] + counts["left-out"], "Ganeti 3.0.2's QA has 93 switches");
        }
        finally
        {
            Tool(repo, "down");
        }
    }
}
