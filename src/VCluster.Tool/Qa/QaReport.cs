using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace VCluster.Tool.Qa;

/// <summary>
/// One QA test as the suite reported it, and the disk template of the instance block it ran
/// in (the last instance QA made before it; null before any).
/// </summary>
public sealed record QaResult(string Name, string Description, QaOutcome Outcome, double Seconds, string? Message, string? DiskTemplate = null);

public enum QaOutcome
{
    Passed,
    Failed,

    /// <summary>QA's own report of a test it did not run: its switch is off, or QA's own gate (a virtual cluster, a disk template) stopped it.</summary>
    Skipped,

    /// <summary>QA reported it passed, but the policy's table shows it returned before testing anything on this cluster (<see cref="QaPolicy.Untested"/>).</summary>
    ReturnedWithoutTesting,
}

/// <summary>What a run counts: test runs as QA reported them, and the policy's switches by their part of the plan.</summary>
public sealed record QaCounts(int Passed, int Failed, int ReturnedWithoutTesting, int Skipped, int SwitchesOn, int SwitchedOff, int LeftOut)
{
    public static QaCounts Of(IReadOnlyList<QaResult> results, QaPlan plan) => new(
        results.Count(r => r.Outcome == QaOutcome.Passed), results.Count(r => r.Outcome == QaOutcome.Failed),
        results.Count(r => r.Outcome == QaOutcome.ReturnedWithoutTesting), results.Count(r => r.Outcome == QaOutcome.Skipped),
        plan.On.Count, plan.SwitchedOff.Count, plan.LeftOut.Count);

    public override string ToString() =>
        $"{Passed} passed, {Failed} failed, {ReturnedWithoutTesting} returned without testing (not counted as passed), {Skipped} reported skipped by QA; " +
        $"switches: {SwitchesOn} on, {SwitchedOff} switched off, {LeftOut} left out";
}

/// <summary>
/// What a run of qa/ganeti-qa.py reports, read from its output: every test prints a header
/// "<<<< TIME start [Name] description", then "---- PASSED [Name] ..." or "---- FAILED [Name]
/// ...: error", then ">>>> TIME time=DURATION [Name] ..."; a test switched off prints
/// "**** TIME skipping [Name] description, test(s) NAMES disabled". A test function without a
/// docstring is named as Python prints it: "---- FAILED <function Name at 0x7f...>: error".
/// </summary>
public static partial class QaReport
{
    private const string TestName = @"(?:\[(?<name>[^\]]+)\]|<function (?<name>\w+) at 0x[0-9a-f]+>)";

    [GeneratedRegex(@"^-{4} (PASSED|FAILED) " + TestName + @" ?(?<rest>.*?)\s*-*$")]
    private static partial Regex Outcome();

    [GeneratedRegex(@"^>{4} \S+ \S+ time=(?<h>\d+):(?<m>\d+):(?<s>[\d.]+) " + TestName)]
    private static partial Regex Duration();

    [GeneratedRegex(@"^\S{4} \S+ \S+ skipping (?<desc>.*), test\(s\) (?<tests>.*) disabled\s*-*$")]
    private static partial Regex Skip();

    /// <summary>Every test that makes an instance of an instance block is described "gnt-instance add -t TEMPLATE" (qa_instance.py).</summary>
    [GeneratedRegex(@"^gnt-instance add -t (?<template>\S+)$")]
    private static partial Regex InstanceAdd();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Colors();

    /// <summary>The results in QA's order, each with the disk template of the instance block it ran in.</summary>
    public static List<QaResult> Parse(IEnumerable<string> lines)
    {
        var reader = new Reader();
        foreach (var line in lines)
            reader.Read(line);
        return reader.Results;
    }

    /// <summary>Reads QA's output a line at a time, as it comes.</summary>
    public sealed class Reader
    {
        private string? _template;

        public List<QaResult> Results { get; } = [];

        /// <summary>The result the line reports (a test's outcome or QA's skip), or null (a duration completes the result before it).</summary>
        public QaResult? Read(string raw)
        {
            var line = Colors().Replace(raw, "");
            if (Outcome().Match(line) is { Success: true } outcome)
            {
                var failed = outcome.Groups[1].Value == "FAILED";
                var rest = outcome.Groups["rest"].Value;
                var split = failed ? rest.IndexOf(": ", StringComparison.Ordinal) : -1;
                var description = split >= 0 ? rest[..split] : rest;
                if (!failed && InstanceAdd().Match(description) is { Success: true } add)
                    _template = add.Groups["template"].Value;
                Results.Add(new QaResult(outcome.Groups["name"].Value, description,
                    failed ? QaOutcome.Failed : QaOutcome.Passed, 0, split >= 0 ? rest[(split + 2)..] : null, _template));
                return Results[^1];
            }
            if (Duration().Match(line) is { Success: true } duration && Results.Count > 0 && Results[^1].Name == duration.Groups["name"].Value)
            {
                var seconds = int.Parse(duration.Groups["h"].Value, CultureInfo.InvariantCulture) * 3600
                    + int.Parse(duration.Groups["m"].Value, CultureInfo.InvariantCulture) * 60
                    + double.Parse(duration.Groups["s"].Value, CultureInfo.InvariantCulture);
                Results[^1] = Results[^1] with { Seconds = seconds };
                return null;
            }
            if (Skip().Match(line) is { Success: true } skip)
            {
                var desc = skip.Groups["desc"].Value;
                var named = Regex.Match(desc, @"^\[(?<name>[^\]]+)\] (?<rest>.*)$");
                Results.Add(new QaResult(named.Success ? named.Groups["name"].Value : desc, named.Success ? named.Groups["rest"].Value : desc,
                    QaOutcome.Skipped, 0, $"skipped by QA: test(s) {skip.Groups["tests"].Value} disabled", _template));
                return Results[^1];
            }
            return null;
        }
    }

    /// <summary>
    /// A pass that the policy's table covers on this cluster (in its instance block's template)
    /// becomes "returned without testing", with the table's reason and evidence.
    /// </summary>
    public static List<QaResult> Classify(IEnumerable<QaResult> results, QaCluster cluster) => [.. results.Select(r => Classify(r, cluster))];

    public static QaResult Classify(QaResult result, QaCluster cluster) =>
        result.Outcome == QaOutcome.Passed
            && QaPolicy.Untested.FirstOrDefault(u => !u.Switch && u.Name == result.Name && u.When.HoldsFor(cluster, result.DiskTemplate)) is { } untested
            ? result with { Outcome = QaOutcome.ReturnedWithoutTesting, Message = $"returned without testing: {untested.Because} ({Cite(untested.Evidence)})" }
            : result;

    public static string Cite(IEnumerable<QaEvidence> evidence) => string.Join(", ", evidence);

    /// <summary>
    /// JUnit XML, as CI systems read it: a test case per test run QA reported (one that
    /// returned without testing is skipped, with the reason), then one per switch switched off
    /// or left out; "tests" counts every test case, the skipped ones too. Properties carry
    /// the run's counts.
    /// </summary>
    public static XDocument JUnit(string suite, IReadOnlyList<QaResult> results, QaPlan plan)
    {
        var counts = QaCounts.Of(results, plan);
        var switches = plan.SwitchedOff.Select(s => (s, $"switched off on this cluster: {s.Off!.Because} ({Cite(s.Off.Evidence)})"))
            .Concat(plan.LeftOut.Select(s => (s, "left out: not in the chosen subset (--tests)"))).ToList();
        return new(new XElement("testsuite",
            new XAttribute("name", suite),
            new XAttribute("tests", results.Count + switches.Count),
            new XAttribute("failures", counts.Failed),
            new XAttribute("skipped", counts.ReturnedWithoutTesting + counts.Skipped + switches.Count),
            new XAttribute("time", results.Sum(r => r.Seconds).ToString("F1", CultureInfo.InvariantCulture)),
            new XElement("properties",
                Property("passed", counts.Passed), Property("failed", counts.Failed),
                Property("returned-without-testing", counts.ReturnedWithoutTesting), Property("skipped-by-qa", counts.Skipped),
                Property("switches-on", counts.SwitchesOn), Property("switched-off", counts.SwitchedOff), Property("left-out", counts.LeftOut)),
            results.Select(r => new XElement("testcase",
                new XAttribute("classname", suite), new XAttribute("name", $"{r.Name}: {r.Description}"),
                new XAttribute("time", r.Seconds.ToString("F1", CultureInfo.InvariantCulture)),
                r.Outcome switch
                {
                    QaOutcome.Failed => new XElement("failure", new XAttribute("message", r.Message ?? "")),
                    QaOutcome.Skipped or QaOutcome.ReturnedWithoutTesting => new XElement("skipped", new XAttribute("message", r.Message ?? "")),
                    _ => null,
                })),
            switches.Select(s => new XElement("testcase",
                new XAttribute("classname", suite + ".switches"), new XAttribute("name", s.Item1.Name),
                new XElement("skipped", new XAttribute("message", s.Item2))))));
    }

    private static XElement Property(string name, int value) =>
        new("property", new XAttribute("name", name), new XAttribute("value", value.ToString(CultureInfo.InvariantCulture)));
}
