namespace VCluster.Tool.Runtime;

/// <summary>
/// How Ganeti's own burnin runs on a virtual cluster: the disk templates it is run with, and
/// per template the phases left out with burnin's own --no-* switches, each with the Ganeti
/// reason. docs/burnin.md lists exactly these; the burnin command applies exactly these.
/// Phases that burnin itself skips for a template (it knows they cannot apply) need no switch.
/// </summary>
public static class BurninPolicy
{
    /// <summary>The templates burnin runs with when none is named (sharedfile and plain on request).</summary>
    public static readonly IReadOnlyList<string> DefaultTemplates = ["diskless", "file"];

    public static readonly IReadOnlyList<(string Template, string Switch, string Reason)> LeftOut =
    [
        ("diskless", "--no-reinstall", "Ganeti refuses to reinstall an instance without disks (LUInstanceReinstall: \"Instance has no disks\")"),
        ("file", "--no-add-disks", "the phase removes a disk from a running instance, which Ganeti allows only by hotplug " +
                                    "(instance_set_params.py: \"can't remove volume from a running instance without using hotplug\"); " +
                                    "the fake hypervisor has no hotplug (hv_base.HotplugSupported)"),
        ("sharedfile", "--no-add-disks", "as for file: removing a disk from a running instance needs hotplug, which the fake hypervisor lacks"),
        ("plain", "--no-add-disks", "as for file: removing a disk from a running instance needs hotplug, which the fake hypervisor lacks"),
    ];

    /// <summary>burnin's arguments for one template and its instance names (the last one is the rename target).</summary>
    public static IReadOnlyList<string> Arguments(string template, IReadOnlyList<string> instances, bool parallel) =>
    [
        "burnin", "-o", "noop", "-t", template, "-H", "fake",
        .. parallel ? new[] { "-p" } : [],
        .. LeftOut.Where(l => l.Template == template).Select(l => l.Switch),
        // Small sparse disks: the cluster's policy allows them, and a move copies every byte.
        .. template == "diskless" ? Array.Empty<string>() : ["--disk-size", "128m", "--disk-growth", "32m"],
        "--rename", instances[^1],
        .. instances.Take(instances.Count - 1),
    ];
}
