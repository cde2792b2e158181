using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Tool.Qa;
using VCluster.Tool.Runtime.Processes;

namespace VCluster.Tool.Tests;

/// <summary>
/// The policy against the installed Ganeti: its QA suite (fetched as the tool fetches it, into
/// ~/.cache/vcluster/ganeti-qa/VERSION/qa) has exactly the switches the policy names, and every
/// piece of evidence quotes the lines it cites, in the suite or in the installed Python library
/// (lib/X.py of Ganeti's source is /usr/share/ganeti/VERSION/ganeti/X.py). When Ganeti changes,
/// these fail and say where.
/// </summary>
[TestClass]
public sealed partial class QaSourceTests
{
    private static GanetiInstallation? _ganeti;
    private static string? _qa;
    private static string? _unavailable;

    [ClassInitialize]
    public static void FindTheInstalledSource(TestContext context)
    {
        try
        {
            _ganeti = GanetiInstallation.Discover("/", GanetiInstallation.UserCacheDirectory());
            _qa = QaSuite.Locate(null, _ganeti.Version, new LinuxHost(), TextWriter.Null, context.CancellationToken);
        }
        catch (VClusterException e)
        {
            _unavailable = e.Message;
        }
    }

    private static (GanetiInstallation Ganeti, string Qa) Source()
    {
        if (_unavailable is not null)
            Assert.Inconclusive($"Ganeti's source is not on this machine and could not be fetched: {_unavailable}");
        return (_ganeti!, _qa!);
    }

    /// <summary>
    /// Every name QA reads as a switch: the arguments (strings, lists, Either(...)) of
    /// RunTestIf and TestEnabled, followed through the variables, loops and tables
    /// (available_instance_tests, PARALLEL_TEST_DICT, config_list) they come from.
    /// </summary>
    private const string CollectSwitches = """
        import ast, glob, json, os, sys
        qa = sys.argv[1]
        trees = [ast.parse(open(p).read()) for p in sorted(glob.glob(os.path.join(qa, "*.py")))]
        values = {}
        def bind(name, value):
            values.setdefault(name, []).append(value)
        for tree in trees:
            for n in ast.walk(tree):
                if isinstance(n, ast.Assign):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            bind(t.id, n.value)
        def iterated(node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "items":
                node = node.func.value
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            return values.get(name, []) if name else [node]
        for tree in trees:
            for n in ast.walk(tree):
                if not isinstance(n, (ast.For, ast.comprehension)):
                    continue
                targets = n.target.elts if isinstance(n.target, ast.Tuple) else [n.target]
                for source in iterated(n.iter):
                    items = source.keys if isinstance(source, ast.Dict) else source.elts if isinstance(source, (ast.List, ast.Tuple)) else []
                    for item in items:
                        parts = item.elts if isinstance(item, ast.Tuple) and len(targets) > 1 else [item]
                        for target, part in zip(targets, parts):
                            if isinstance(target, ast.Name):
                                bind(target.id, part)
        def names(node, depth=0):
            if depth > 4:
                return
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield node.value
            elif isinstance(node, (ast.List, ast.Tuple)):
                for e in node.elts:
                    yield from names(e, depth + 1)
            elif isinstance(node, ast.Dict):
                for k in node.keys:
                    yield from names(k, depth + 1)
            elif isinstance(node, ast.Call):
                for a in node.args:
                    yield from names(a, depth + 1)
            elif isinstance(node, (ast.Name, ast.Attribute)):
                for v in iterated(node):
                    if v is not node:
                        yield from names(v, depth + 1)
        found = set()
        for tree in trees:
            for n in ast.walk(tree):
                if isinstance(n, ast.Call) and n.args:
                    f = n.func
                    called = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                    if called in ("RunTestIf", "TestEnabled", "Either"):
                        found.update(names(n.args[0]))
        sample = json.load(open(os.path.join(qa, "qa-sample.json")))["tests"]
        found.update(k for k in sample if not k.startswith("#"))
        found.discard("default")
        print(json.dumps(sorted(found)))
        """;

    [TestMethod]
    public void TheInstalledQaHasExactlyTheSwitchesThePolicyNames()
    {
        var (ganeti, qa) = Source();
        var start = new ProcessStartInfo(ganeti.Python) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-");
        start.ArgumentList.Add(qa);
        using var python = Process.Start(start)!;
        python.StandardInput.Write(CollectSwitches);
        python.StandardInput.Close();
        var output = python.StandardOutput.ReadToEnd();
        var error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.AreEqual(0, python.ExitCode, error);
        var installed = JsonSerializer.Deserialize<List<string>>(output)!;

        var policy = QaPolicy.Switches.Select(s => s.Name).ToList();
        var unnamed = installed.Except(policy).ToList();
        var unknown = policy.Except(installed).ToList();
        Assert.IsEmpty(unnamed, $"Ganeti {ganeti.Version}'s QA ({qa}) has switches the policy does not name: {string.Join(", ", unnamed)} (QaPolicy.Switches, docs/qa.md)");
        Assert.IsEmpty(unknown, $"the policy names switches Ganeti {ganeti.Version}'s QA ({qa}) does not have: {string.Join(", ", unknown)}");
        Assert.IsGreaterThanOrEqualTo(90, installed.Count, "3.0.2 has 93: the collector found them");
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    [TestMethod]
    public void EveryPieceOfEvidenceQuotesTheInstalledSource()
    {
        var (ganeti, qa) = Source();
        var evidence = QaPolicy.Switches.Where(s => s.Off is not null).SelectMany(s => s.Off!.Evidence.Select(e => (s.Name, e)))
            .Concat(QaPolicy.Untested.SelectMany(u => u.Evidence.Select(e => (u.Name, e)))).ToList();
        var wrong = new List<string>();
        foreach (var (subject, e) in evidence)
        {
            var file = e.File switch
            {
                var f when f.StartsWith("qa/", StringComparison.Ordinal) => Path.Combine(qa, f["qa/".Length..]),
                var f when f.StartsWith("lib/", StringComparison.Ordinal) => Path.Combine(ganeti.ShareDir, "ganeti", f["lib/".Length..]),
                _ => null,
            };
            if (file is null || !File.Exists(file))
            {
                wrong.Add($"{subject}: {e}: no such file ({file ?? "neither qa/ nor lib/"})");
                continue;
            }
            var lines = File.ReadAllLines(file);
            if (e.From < 1 || e.To < e.From || e.To > lines.Length)
            {
                wrong.Add($"{subject}: {e}: the file has {lines.Length} lines");
                continue;
            }
            var cited = Space().Replace(string.Join(" ", lines[(e.From - 1)..e.To]), " ");
            if (!cited.Contains(Space().Replace(e.Quote, " "), StringComparison.Ordinal))
                wrong.Add($"{subject}: {e} does not contain \"{e.Quote}\"; it reads: {cited.Trim()}");
        }
        Assert.IsEmpty(wrong, $"Ganeti {ganeti.Version} ({qa}, {ganeti.ShareDir}) no longer shows the policy's evidence:\n{string.Join("\n", wrong)}");
        Assert.IsGreaterThan(60, evidence.Count);
    }
}

/// <summary>Which QA suite a cluster gets: the one named, else its Ganeti source tree's, else Debian's.</summary>
[TestClass]
public sealed class QaSuiteChoiceTests
{
    [TestMethod]
    public void AClusterBuiltFromASourceTreeRunsThatTreesQa()
    {
        var tree = Directory.CreateTempSubdirectory("vcq").FullName;
        try
        {
            // No suite in the tree yet: a coded error that names the folder, nothing fetched.
            var missing = Assert.ThrowsExactly<VClusterException>(() =>
                QaSuite.Locate(QaSuite.OfSourceTree(tree), "3.0.2", new LinuxHost(), TextWriter.Null, CancellationToken.None));
            Assert.AreEqual(ErrorCodes.QaUnavailable, missing.Diagnostics.Single().Code);
            StringAssert.Contains(missing.Message, Path.Combine(tree, "qa"));

            Directory.CreateDirectory(Path.Combine(tree, "qa"));
            File.WriteAllText(Path.Combine(tree, "qa", "ganeti-qa.py"), "");
            Assert.AreEqual(Path.Combine(tree, "qa"), QaSuite.Locate(QaSuite.OfSourceTree(tree), "3.0.2", new LinuxHost(), TextWriter.Null, CancellationToken.None));
            Assert.IsNull(QaSuite.OfSourceTree(null), "Debian's packages: the suite comes from Debian's source package");
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }
}
