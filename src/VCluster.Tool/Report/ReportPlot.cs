using System.Globalization;

namespace VCluster.Tool.Report;

/// <summary>
/// The report's picture (ScottPlot): each operation's median latency against the cluster's
/// nodes on log-log axes, its fitted growth drawn on to where it meets its Ganeti limit (or to
/// ten times the largest size measured), and each limit as a horizontal line.
/// </summary>
public static class ReportPlot
{
    public static void Save(ScaleReport report, string path, int width = 1400, int height = 900)
    {
        var plot = new ScottPlot.Plot();
        var measured = report.Sizes.Where(s => s.Error is null).ToList();
        var largest = measured.Select(s => s.Nodes).DefaultIfEmpty(10).Max();
        var smallest = measured.Select(s => s.Nodes).DefaultIfEmpty(1).Min();
        var palette = new ScottPlot.Palettes.Category10();
        var right = Math.Log10(largest * 10.0);
        foreach (var (operation, index) in ScaleOperations.All.Select((o, i) => (o, i)))
        {
            var color = palette.GetColor(index);
            var points = measured
                .Select(s => (s.Nodes, Median: s.Operations.FirstOrDefault(o => o.Name == operation.Name)?.MedianSeconds))
                .Where(p => p.Median is > 0).ToList();
            if (points.Count == 0)
                continue;
            var growth = report.Growth.FirstOrDefault(g => g.Operation == operation.Name);
            var dots = plot.Add.ScatterPoints(points.Select(p => Math.Log10(p.Nodes)).ToArray(), points.Select(p => Math.Log10(p.Median!.Value)).ToArray());
            dots.Color = color;
            dots.MarkerSize = 8;
            dots.LegendText = Legend(operation, growth);
            if (growth is null)
                continue;
            var fit = new GrowthFit(growth.Model, growth.Intercept, growth.Slope, growth.Exponent, 0);
            var end = Math.Min(growth.ReachesLimitAtNodes ?? double.MaxValue, largest * 10.0);
            var xs = Enumerable.Range(0, 60).Select(i => Math.Log10(smallest) + (Math.Log10(end) - Math.Log10(smallest)) * i / 59.0)
                .Where(x => fit.At(Math.Pow(10, x)) > 0).ToArray();
            var line = plot.Add.ScatterLine(xs, xs.Select(x => Math.Log10(fit.At(Math.Pow(10, x)))).ToArray());
            line.Color = color;
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            right = Math.Max(right, Math.Log10(end) + 0.05);
        }
        var left = Math.Log10(smallest) - 0.1;
        foreach (var limit in ScaleOperations.All.GroupBy(o => o.LimitSeconds))
        {
            var rule = plot.Add.HorizontalLine(Math.Log10(limit.Key));
            rule.Color = ScottPlot.Colors.Gray;
            rule.LinePattern = ScottPlot.LinePattern.Dotted;
            var label = plot.Add.Text($"{limit.Key.ToString(CultureInfo.InvariantCulture)} s: {string.Join(", ", limit.Select(l => l.Limit).Distinct())}",
                right - 0.02, Math.Log10(limit.Key) + 0.01);
            label.LabelFontSize = 11;
            label.LabelFontColor = ScottPlot.Colors.DimGray;
            label.LabelAlignment = ScottPlot.Alignment.LowerRight;
        }
        foreach (var axis in new ScottPlot.IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = v => Math.Pow(10, v).ToString("G4", CultureInfo.InvariantCulture),
            };
        }
        plot.Axes.SetLimitsX(left, right);
        plot.Axes.Bottom.Label.Text = "nodes (instances: " + string.Join(", ", measured.Select(s => $"{s.Instances} at {s.Nodes}")) + ")";
        plot.Axes.Left.Label.Text = "seconds (median; dashed: fitted growth, extrapolated)";
        plot.Title($"Ganeti {report.GanetiVersion} on a virtual cluster: latency against cluster size ({report.Machine.Cores} cores, " +
            $"{report.Machine.MemoryGiB:F0} GiB, {report.Created[..10]})");
        plot.Legend.Alignment = ScottPlot.Alignment.UpperLeft;
        plot.Legend.FontSize = 11;
        plot.SavePng(path, width, height);
    }

    private static string Legend(ScaleOperation operation, ReportGrowth? growth) => growth is null
        ? operation.Name
        : $"{operation.Name}: {growth.Model}, n^{growth.Exponent.ToString("F2", CultureInfo.InvariantCulture)}" +
          (growth.ReachesLimitAtNodes is { } n ? $", {growth.LimitSeconds:F0} s at ~{n:N0} nodes" : "");
}
