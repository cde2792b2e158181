using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;
using VCluster.Engine.Rendering;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

[TestClass]
public sealed class TemplateTests
{
    private static TemplateSet Load(TempDir dir, params TemplateSpec[] extra) =>
        TemplateSet.Load(TemplatesDirectory, extra, new ProjectSourceLocator(null));

    private static TemplateSpec Extra(TempDir dir, string text, string output = "etc/extra", string? mode = null)
    {
        var path = dir.Combine($"t{Guid.NewGuid():N}.sbn");
        File.WriteAllText(path, text);
        return new TemplateSpec { Source = path, Output = output, Mode = mode };
    }

    [TestMethod]
    public void DefaultTemplatesAllParse()
    {
        using var dir = new TempDir();
        var set = Load(dir);
        Assert.IsTrue(set.For(TemplateScope.Node).Any(t => t.Output == "cmd"));
        Assert.IsTrue(set.For(TemplateScope.Cluster).Any(t => t.Output == "bin/ssh"));
    }

    [TestMethod]
    public void SyntaxErrorNamesTemplateLineAndColumn()
    {
        using var dir = new TempDir();
        var spec = Extra(dir, "line one\nvalue: {{ node.name + }}\n");
        var error = SingleError(() => Load(dir, spec), ErrorCodes.TemplateSyntax);
        Assert.AreEqual(spec.Source, error.File);
        Assert.AreEqual(2, error.Line);
        Assert.IsGreaterThan(0, error.Column);
    }

    [TestMethod]
    public void UndefinedVariableIsAnErrorWithItsLocation()
    {
        using var dir = new TempDir();
        var spec = Extra(dir, "ok\nok {{ node.name }} {{ node.no_such_value }}\n");
        var error = SingleError(() => ClusterGenerator.Generate(new ClusterSpec { Root = dir.Combine("c"), Templates = [spec] }, Options(dir.Combine("cache"))),
            ErrorCodes.TemplateRender);
        Assert.AreEqual(spec.Source, error.File);
        Assert.AreEqual(2, error.Line);
        Assert.AreEqual(28, error.Column, "the column of the undefined member");
        Assert.IsFalse(Directory.Exists(dir.Combine("c", "nodes")), "nothing is written when a template fails");
    }

    /// <summary>
    /// A render that fails leaves nothing behind for the thread's next one. Seen in CI: after
    /// the undefined-variable test, a generation on the same thread wrote one node's
    /// etc/default/ganeti beginning with the failed template's text.
    /// </summary>
    [TestMethod]
    public void ARenderThatFailedLeavesNothingForTheNext()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("t/node"));
        File.WriteAllText(dir.Combine("t/templates.json"), """{ "templates": [ { "template": "node/ok.sbn", "output": "ok", "scope": "node" } ] }""");
        File.WriteAllText(dir.Combine("t/node/ok.sbn"), "name {{ node.name }}\n");
        var model = new Scriban.Runtime.ScriptObject { ["node"] = new Scriban.Runtime.ScriptObject { ["name"] = "node1" } };
        var failing = TemplateSet.Load(dir.Combine("t"), [Extra(dir, "partial {{ node.name }} {{ node.no_such_value }}\n", output: "ok")], new ProjectSourceLocator(null));
        SingleError(() => failing.Render(TemplateScope.Node, model), ErrorCodes.TemplateRender);

        var rendered = TemplateSet.Load(dir.Combine("t"), [], new ProjectSourceLocator(null)).Render(TemplateScope.Node, model);
        Assert.AreEqual("name node1\n", rendered.Single().Text);
    }

    [TestMethod]
    public void ProjectTemplateWithTheSameOutputReplacesTheDefault()
    {
        using var dir = new TempDir();
        var spec = Extra(dir, "custom {{ node.name }}", output: "etc/default/ganeti");
        var set = Load(dir, spec);
        var matching = set.For(TemplateScope.Node).Where(t => t.Output == "etc/default/ganeti").ToList();
        Assert.HasCount(1, matching);
        Assert.AreEqual(spec.Source, matching[0].SourcePath);
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("/etc/passwd")]
    [DataRow("../outside")]
    public void OutputPathMustStayInsideTheTree(string output)
    {
        using var dir = new TempDir();
        SingleError(() => Load(dir, Extra(dir, "x", output)), ErrorCodes.InvalidTemplateItem);
    }

    [TestMethod]
    public void BadModeIsRejected()
    {
        using var dir = new TempDir();
        SingleError(() => Load(dir, Extra(dir, "x", mode: "0x644")), ErrorCodes.InvalidTemplateItem);
    }

    [TestMethod]
    public void MissingTemplateFileIsRejected()
    {
        using var dir = new TempDir();
        SingleError(() => Load(dir, new TemplateSpec { Source = dir.Combine("nope.sbn"), Output = "x" }), ErrorCodes.InvalidTemplateItem);
    }

    [TestMethod]
    public void AnIndexThatNamesAMissingTemplateIsRejected()
    {
        using var dir = new TempDir();
        var templates = dir.Combine("templates");
        Directory.CreateDirectory(Path.Combine(templates, "node"));
        File.WriteAllText(Path.Combine(templates, "templates.json"),
            """{ "templates": [ { "template": "node/gone.sbn", "output": "etc/gone", "scope": "node", "mode": "0644" } ] }""");
        var error = SingleError(() => TemplateSet.Load(templates, [], new ProjectSourceLocator(null)), ErrorCodes.InvalidTemplateItem);
        StringAssert.Contains(error.Message, "names 'node/gone.sbn', which does not exist");
    }
}
