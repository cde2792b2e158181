namespace VCluster.Tool.Runtime;

/// <summary>
/// The checks of "gnt-cluster verify" that cannot pass on any virtual node of a machine, each
/// with its reason. docs/verify.md lists exactly these; the verify command ignores exactly
/// these (with Ganeti's own -I switch) and nothing else.
/// </summary>
public static class VerifyPolicy
{
    public static readonly IReadOnlyList<(string Code, string Reason)> IgnoredChecks =
    [
        ("ENODESETUP", "the node-setup check requires /proc/sysrq-trigger (backend.py), which kernels built without " +
                       "CONFIG_MAGIC_SYSRQ lack and which no unprivileged process can create"),
    ];

    public static IReadOnlyList<string> Arguments =>
        ["gnt-cluster", "verify", "--error-codes", .. IgnoredChecks.SelectMany(c => new[] { "-I", c.Code })];
}
