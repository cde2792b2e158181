using System.Text.Json;
using Microsoft.Build.Utilities;
using VCluster.Engine;
using VCluster.Sdk.Tasks;
using VCluster.Tool.Commands;

namespace VCluster.Tool.Tests;

/// <summary>
/// The SDK's task and the tool's generate hand the engine the same declaration: fed the same
/// values (as properties and items, and as options), they give one spec and one set of
/// options. They once drifted (generate had no metad option and another cache fallback).
/// </summary>
[TestClass]
public sealed class DeclarationInputsTests
{
    [TestMethod]
    public void TheTaskAndGenerateGiveTheEngineTheSameSpecAndOptions()
    {
        var root = Path.Combine(Path.GetTempPath(), "vcluster-inputs", "lab");
        var task = new GenerateVirtualCluster
        {
            ProjectFile = "",
            Name = "lab",
            Root = root,
            Network = "198.18.0.0/24",
            NodeCount = "5",
            InstanceCount = "7",
            EnableMetad = true,
            Monitoring = false,
            RpcConnectTimeout = "45",
            WatcherInterval = "60",
            DurableWrites = true,
            GanetiRoot = "/opt/ganeti",
            TemplatesDirectory = Path.Combine(AppContext.BaseDirectory, "templates"),
            Instances =
            [
                new TaskItem("web", new Dictionary<string, string> { ["Count"] = "3", ["Template"] = "diskless", ["MemoryMiB"] = "512" }),
                new TaskItem("db", new Dictionary<string, string> { ["Node"] = "node2", ["State"] = "down" }),
            ],
        };
        var command = new GenerateCommand
        {
            Name = "lab",
            Root = root,
            Network = "198.18.0.0/24",
            Nodes = "5",
            Instances = "7",
            EnableMetad = true,
            NoMonitoring = true,
            RpcConnectTimeout = "45",
            WatcherInterval = "60",
            DurableWrites = true,
            GanetiRoot = "/opt/ganeti",
            DeclaredInstances = ["web:Count=3,Template=diskless,MemoryMiB=512", "db:Node=node2,State=down"],
        };

        var fromTask = task.Inputs();
        var fromCommand = command.Inputs();

        Assert.AreEqual(Json(fromTask.ToSpec()), Json(fromCommand.ToSpec()));
        Assert.AreEqual(Json(fromTask.ToOptions()), Json(fromCommand.ToOptions()));
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), new JsonSerializerOptions { WriteIndented = true });
}
