using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace VCluster.Tool.Qa;

/// <summary>One QA test as the suite reported it.</summary>
public sealed record QaResult(string Name, string Description, QaOutcome Outcome, double Seconds, string? Message);

public enum QaOutcome
{
    Passed,
    Failed,
    Skipped,
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

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Colors();

    public static List<QaResult> Parse(IEnumerable<string> lines)
    {
        var results = new List<QaResult>();
        foreach (var raw in lines)
        {
            var line = Colors().Replace(raw, "");
            if (Outcome().Match(line) is { Success: true } outcome)
            {
                var failed = outcome.Groups[1].Value == "FAILED";
                var rest = outcome.Groups["rest"].Value;
                var split = failed ? rest.IndexOf(": ", StringComparison.Ordinal) : -1;
                results.Add(new QaResult(outcome.Groups["name"].Value, split >= 0 ? rest[..split] : rest,
                    failed ? QaOutcome.Failed : QaOutcome.Passed, 0, split >= 0 ? rest[(split + 2)..] : null));
            }
            else if (Duration().Match(line) is { Success: true } duration && results.Count > 0 && results[^1].Name == duration.Groups["name"].Value)
            {
                var seconds = int.Parse(duration.Groups["h"].Value, CultureInfo.InvariantCulture) * 3600
                    + int.Parse(duration.Groups["m"].Value, CultureInfo.InvariantCulture) * 60
                    + double.Parse(duration.Groups["s"].Value, CultureInfo.InvariantCulture);
                results[^1] = results[^1] with { Seconds = seconds };
            }
            else if (Skip().Match(line) is { Success: true } skip)
            {
                var desc = skip.Groups["desc"].Value;
                var named = Regex.Match(desc, @"^\[(?<name>[^\]]+)\] (?<rest>.*)$");
                results.Add(new QaResult(named.Success ? named.Groups["name"].Value : desc, named.Success ? named.Groups["rest"].Value : desc,
                    QaOutcome.Skipped, 0, $"switched off: {skip.Groups["tests"].Value}"));
            }
        }
        return results;
    }

    /// <summary>JUnit XML, as CI systems read it: "tests" counts every test case, the skipped ones too.</summary>
    public static XDocument JUnit(string suite, IReadOnlyList<QaResult> results, IEnumerable<QaTest> leftOutTests)
    {
        var leftOut = leftOutTests.ToList();
        return new(new XElement("testsuite",
            new XAttribute("name", suite),
            new XAttribute("tests", results.Count + leftOut.Count),
            new XAttribute("failures", results.Count(r => r.Outcome == QaOutcome.Failed)),
            new XAttribute("skipped", results.Count(r => r.Outcome == QaOutcome.Skipped) + leftOut.Count),
            new XAttribute("time", results.Sum(r => r.Seconds).ToString("F1", CultureInfo.InvariantCulture)),
            results.Select(r => new XElement("testcase",
                new XAttribute("classname", suite), new XAttribute("name", $"{r.Name}: {r.Description}"),
                new XAttribute("time", r.Seconds.ToString("F1", CultureInfo.InvariantCulture)),
                r.Outcome switch
                {
                    QaOutcome.Failed => new XElement("failure", new XAttribute("message", r.Message ?? "")),
                    QaOutcome.Skipped => new XElement("skipped", new XAttribute("message", r.Message ?? "")),
                    _ => null,
                })),
            leftOut.Select(t => new XElement("testcase",
                new XAttribute("classname", suite), new XAttribute("name", t.Name),
                new XElement("skipped", new XAttribute("message", $"left out on virtual clusters: {t.LeftOutBecause}"))))));
    }
}
