using VCluster.Engine.Diagnostics;

namespace VCluster.Tool.Qa;

/// <summary>
/// Every switch of the policy in one of three parts for one run: on; switched off by the
/// policy on this cluster (with its reason); left out, that is, one the policy would run but
/// the chosen subset (<c>--tests</c>) does not name. A switch named in a subset that the
/// policy turns off stays off.
/// </summary>
public sealed record QaPlan(QaCluster Cluster, IReadOnlyList<QaSwitch> On, IReadOnlyList<QaSwitch> SwitchedOff, IReadOnlyList<QaSwitch> LeftOut, bool Subset)
{
    /// <summary>The plan for the whole suite (<paramref name="chosen"/> null) or for the switches chosen.</summary>
    public static QaPlan For(QaCluster cluster, IReadOnlyCollection<string>? chosen)
    {
        var unknown = (chosen ?? []).Where(name => QaPolicy.Named(name) is null).ToList();
        if (unknown.Count > 0)
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.UnknownQaSwitch,
                $"no QA test switch named {string.Join(", ", unknown.Select(n => $"'{n}'"))}: docs/qa.md lists them, 'quick' names the CI subset"));
        var off = QaPolicy.Switches.Where(s => !s.RunsOn(cluster)).ToList();
        var runnable = QaPolicy.Switches.Where(s => s.RunsOn(cluster)).ToList();
        return chosen is null
            ? new QaPlan(cluster, runnable, off, [], Subset: false)
            : new QaPlan(cluster, [.. runnable.Where(s => chosen.Contains(s.Name))], off, [.. runnable.Where(s => !chosen.Contains(s.Name))], Subset: true);
    }

    public bool Runs(string name) => On.Any(s => s.Name == name);
}
