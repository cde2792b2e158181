using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

[TestClass]
public sealed class ClusterLockTests
{
    [TestMethod]
    public void ASecondCommandIsRefusedWhileAnotherHoldsTheCluster()
    {
        var repo = NewRepository("""<Project Sdk="VCluster.Sdk" />""");
        var generate = As(repo, ["dotnet", "build", "-t:VClusterGenerate", "-nodeReuse:false"]);
        Assert.AreEqual(0, generate.ExitCode, generate.ToString());
        var lockFile = Path.Combine(repo, ".vcluster/cluster/.state/run/lock");
        // Made by the cluster's user, as the tool would make it.
        Assert.AreEqual(0, As(repo, ["mkdir", "-p", Path.GetDirectoryName(lockFile)!]).ExitCode);
        Assert.AreEqual(0, As(repo, ["touch", lockFile]).ExitCode);

        // This test process plays the other command: it holds the cluster's lock.
        using (var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            held.Lock(0, 1);
            var refused = Tool(repo, "up");
            Assert.AreEqual(1, refused.ExitCode, refused.ToString());
            StringAssert.Contains(refused.Output, "error VCS0024: another vcluster command is working on this cluster");
        }

        // Released (as when the other command ends, even killed): the next command proceeds.
        var down = Tool(repo, "down");
        Assert.AreEqual(0, down.ExitCode, down.ToString());
        StringAssert.Contains(down.Output, "already down");
    }
}
