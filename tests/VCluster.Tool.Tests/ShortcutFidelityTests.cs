using VCluster.Tool.Runtime;

namespace VCluster.Tool.Tests;

/// <summary>The bulk shortcuts run only on the Ganeti they were proven equal to Ganeti's own ways on.</summary>
[TestClass]
public sealed class ShortcutFidelityTests
{
    [TestMethod]
    public void OnlyGaneti30IsProven()
    {
        Assert.IsTrue(ShortcutFidelity.ProvenOn("3.0.2"));
        Assert.IsTrue(ShortcutFidelity.ProvenOn("3.0"));
        Assert.IsFalse(ShortcutFidelity.ProvenOn("3.1.0"), "trixie's Ganeti: its nodes join with gnt-node add");
        Assert.IsFalse(ShortcutFidelity.ProvenOn("3.00.1"));
        Assert.IsFalse(ShortcutFidelity.ProvenOn("2.16.2"));
    }
}
