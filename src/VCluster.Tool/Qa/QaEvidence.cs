namespace VCluster.Tool.Qa;

/// <summary>
/// Where Ganeti's own source shows a reason: lines <see cref="From"/> to <see cref="To"/> of a
/// file of the installed version, named as in Ganeti's source tree ("qa/qa_instance.py",
/// "lib/cmdlib/network.py"), and a short quote those lines contain. A unit test reads each one
/// in the installed QA suite and Python library, so a reason fails loudly once Ganeti changes.
/// </summary>
public sealed record QaEvidence(string File, int From, int To, string Quote)
{
    public QaEvidence(string file, int line, string quote) : this(file, line, line, quote)
    {
    }

    public override string ToString() => From == To ? $"{File}:{From}" : $"{File}:{From}-{To}";
}

/// <summary>
/// When a reason holds, against the cluster QA runs on and, for a test of an instance block,
/// the disk template of that block's instance (null elsewhere). <see cref="Description"/> is
/// what docs/qa.md and the reports say.
/// </summary>
public sealed record QaWhen(string Description, Func<QaCluster, string?, bool> Holds)
{
    public bool HoldsFor(QaCluster cluster, string? template = null) => Holds(cluster, template);

    public static QaWhen Always { get; } = new("always", (_, _) => true);

    /// <summary>Every hypervisor is the fake one here (QA's user-shutdown and status tests know only Xen and KVM).</summary>
    public static QaWhen FakeHypervisor { get; } = new("always (the fake hypervisor)", (_, _) => true);

    public static QaWhen WithoutLvm { get; } = new("without LVM", (c, _) => !c.Lvm);

    public static QaWhen WithLvm { get; } = new("with LVM", (c, _) => c.Lvm);

    /// <summary>While the policy runs QA's cluster-exclusive-storage switch on the cluster (which needs 2 or more physical volumes on every node).</summary>
    public static QaWhen WhileExclusiveStorageRuns { get; } =
        new("while cluster-exclusive-storage runs (never in Ganeti 3.0.2, see the switch)",
            (c, _) => c.ExclusiveStorage && QaPolicy.Named("cluster-exclusive-storage") is { } s && s.RunsOn(c));

    public static QaWhen WithSharedFile { get; } = new("while the sharedfile template is enabled", (c, _) => c.DiskTemplates.Contains("sharedfile"));

    public static QaWhen ToolOwnsCluster { get; } = new("unless `qa --own-cluster`", (c, _) => !c.OwnCluster);

    /// <summary>Instances whose template is not in Ganeti's DTS_MIRRORED: they cannot fail over or migrate.</summary>
    public static QaWhen NotMirrored { get; } = new("on file and plain instances (not mirrored)",
        (_, t) => t is not null && !QaCluster.MirroredTemplates.Contains(t));

    public static QaWhen NotFile { get; } = new("on instances of every template but file", (_, t) => t is not null && t != "file");
}
