namespace VCluster.Tool.Report;

/// <summary>
/// How an operation's latency grows with the cluster: the one of three models, t = a + b f(n)
/// with f(n) = n, n log n or n², that fits the measured points best (least squares of the
/// relative error, so that every size counts alike; b ≥ 0), the exponent k of the power law
/// t = c n^k through them (least squares in log-log), and where the chosen model reaches a limit.
/// </summary>
public sealed record GrowthFit(string Model, double Intercept, double Slope, double Exponent, double ResidualSquares)
{
    public const string Linear = "linear";
    public const string NLogN = "n log n";
    public const string Quadratic = "quadratic";

    private static readonly (string Name, Func<double, double> F)[] Models =
    [
        (Linear, n => n),
        (NLogN, n => n * Math.Log(n)),
        (Quadratic, n => n * n),
    ];

    /// <summary>The model's latency at <paramref name="n"/> nodes.</summary>
    public double At(double n) => Intercept + Slope * Models.Single(m => m.Name == Model).F(n);

    /// <summary>The smallest whole n from which the model's latency is at least <paramref name="limit"/>; null if it never is.</summary>
    public double? Reaches(double limit, double from = 1, double upTo = 1e7)
    {
        if (Slope <= 0 || At(upTo) < limit)
            return null;
        if (At(from) >= limit)
            return from;
        var (low, high) = (from, upTo);
        while (high - low > 1)
        {
            var middle = Math.Floor((low + high) / 2);
            (low, high) = At(middle) >= limit ? (low, middle) : (middle, high);
        }
        return high;
    }

    /// <summary>The best fit of points (n, t), or null with fewer than three points of n > 1.</summary>
    public static GrowthFit? Of(IReadOnlyList<(double N, double T)> points)
    {
        var usable = points.Where(p => p.N > 1 && p.T > 0).ToList();
        if (usable.Count < 3)
            return null;
        var exponent = LeastSquares(usable.Select(p => (Math.Log(p.N), Math.Log(p.T))).ToList()).Slope;
        return Models.Select(m =>
            {
                var weighted = usable.Select(p => (m.F(p.N), p.T, 1 / (p.T * p.T))).ToList();
                var (slope, intercept) = LeastSquares(weighted);
                if (slope < 0)
                    (slope, intercept) = (0, LeastSquares(weighted.Select(p => (0.0, p.Item2, p.Item3)).ToList()).Intercept);
                var residual = usable.Sum(p => Math.Pow((p.T - (intercept + slope * m.F(p.N))) / p.T, 2));
                return new GrowthFit(m.Name, intercept, slope, exponent, residual);
            })
            .MinBy(f => f.ResidualSquares);
    }

    private static (double Slope, double Intercept) LeastSquares(IReadOnlyList<(double X, double Y)> points) =>
        LeastSquares(points.Select(p => (p.X, p.Y, 1.0)).ToList());

    private static (double Slope, double Intercept) LeastSquares(IReadOnlyList<(double X, double Y, double W)> points)
    {
        var weight = points.Sum(p => p.W);
        var meanX = points.Sum(p => p.W * p.X) / weight;
        var meanY = points.Sum(p => p.W * p.Y) / weight;
        var sxx = points.Sum(p => p.W * (p.X - meanX) * (p.X - meanX));
        var slope = sxx == 0 ? 0 : points.Sum(p => p.W * (p.X - meanX) * (p.Y - meanY)) / sxx;
        return (slope, meanY - slope * meanX);
    }
}
