using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using VCluster.Engine.Manifest;
using VCluster.Engine.Model;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>
/// vcluster.json has a schema in the package (sdk/VCluster.Sdk/schema): a generated manifest
/// meets it, and since the schema admits no member it does not name, a member added to the
/// manifest without the schema fails here.
/// </summary>
[TestClass]
public sealed class ManifestSchemaTests
{
    // Built once: the library registers a schema by its $id.
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vcluster.schema.json")));

    /// <summary>Null when <paramref name="manifestPath"/> meets the schema, else what does not.</summary>
    internal static string? Violations(string manifestPath) =>
        Evaluate(JsonNode.Parse(File.ReadAllText(manifestPath))!) is { IsValid: false } results ? Errors(results) : null;

    private static EvaluationResults Evaluate(JsonNode manifest) =>
        Schema.Evaluate(JsonDocument.Parse(manifest.ToJsonString()).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults results) =>
        string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [TestMethod]
    public void AGeneratedManifestMeetsTheSchemaAndAnUnknownMemberDoesNot()
    {
        using var dir = new TempDir();
        var result = ClusterGenerator.Generate(new ClusterSpec
        {
            Root = dir.Combine("c"),
            NodeCount = "3",
            InstanceCount = "2",
            Instances = [InstanceSpec.Parse("web:Count=2,Template=file,DiskGiB=1"), InstanceSpec.Parse("db:Node=node2,MemoryMiB=256,State=down")],
        }, Options(dir.Combine("cache")));
        var manifest = JsonNode.Parse(File.ReadAllText(result.ManifestPath))!;

        var valid = Evaluate(manifest);
        Assert.IsTrue(valid.IsValid, Errors(valid));

        manifest["nodes"]![0]!["daemons"]![0]!["restartPolicy"] = "always";
        var unknown = Evaluate(manifest);
        Assert.IsFalse(unknown.IsValid, "a member the schema does not name");
        manifest["nodes"]![0]!["daemons"]![0]!.AsObject().Remove("restartPolicy");
        manifest.AsObject().Remove("nodes");
        Assert.IsFalse(Evaluate(manifest).IsValid, "a manifest without nodes");
    }

    [TestMethod]
    public void TheSchemaNamesTheCurrentVersionAndTheEnabledDiskTemplates()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vcluster.schema.json")))!;
        Assert.AreEqual(ClusterManifest.CurrentSchema, schema["properties"]!["schema"]!["const"]!.GetValue<int>());
        CollectionAssert.AreEqual(DiskTemplates.For(lvm: true).ToArray(),
            schema["$defs"]!["diskTemplate"]!["enum"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray());
    }
}
