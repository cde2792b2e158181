namespace VCluster.Engine.Diagnostics;

/// <summary>Every error the engine reports has one of these codes; docs/errors.md explains each.</summary>
public static class ErrorCodes
{
    public const string InvalidClusterName = "VCS0001";
    public const string InvalidNodeName = "VCS0002";
    public const string DuplicateNodeName = "VCS0003";
    public const string DuplicateAddress = "VCS0004";
    public const string AddressOutsideNetwork = "VCS0005";
    public const string InvalidNetwork = "VCS0006";
    public const string NetworkTooSmall = "VCS0007";
    public const string MasterCount = "VCS0008";
    public const string InvalidRoot = "VCS0009";
    public const string UnwritableRoot = "VCS0010";
    public const string GanetiNotInstalled = "VCS0011";
    public const string GanetiUnsupportedVersion = "VCS0012";
    public const string TemplateSyntax = "VCS0013";
    public const string TemplateRender = "VCS0014";
    public const string InvalidCount = "VCS0015";
    public const string InvalidTemplateItem = "VCS0016";
    public const string WriteFailed = "VCS0017";
    public const string InvalidResource = "VCS0018";
    public const string ManifestMissing = "VCS0019";
    public const string NodeNameTooLong = "VCS0020";
    public const string SandboxUnavailable = "VCS0021";
    public const string ClusterNotRunning = "VCS0022";
    public const string DaemonFailed = "VCS0023";
    public const string ClusterBusy = "VCS0024";
    public const string VerifyFailed = "VCS0025";
    public const string InstanceNamesExhausted = "VCS0026";
    public const string BurninFailed = "VCS0027";
    public const string AmbiguousCluster = "VCS0028";
    public const string InvalidJoin = "VCS0029";
    public const string QaUnavailable = "VCS0030";
    public const string QaFailed = "VCS0031";
    public const string ShortPidRange = "VCS0032";
    public const string SandboxServiceFailed = "VCS0033";
    public const string InvalidInstance = "VCS0034";
    public const string DuplicateInstanceName = "VCS0035";
    public const string UnknownInstanceNode = "VCS0036";
    public const string UnsupportedDiskTemplate = "VCS0037";
    public const string InstancesDoNotFit = "VCS0038";
    public const string PopulateFailed = "VCS0039";
    public const string NativePartsMissing = "VCS0040";
    public const string InvalidVolumeGroup = "VCS0041";
    public const string InvalidPhysicalVolumes = "VCS0042";
    public const string UnknownQaSwitch = "VCS0043";
    public const string ClusterInitialised = "VCS0044";
    public const string GanetiSourceInvalid = "VCS0045";
    public const string GanetiBuildDependencyMissing = "VCS0046";
    public const string GanetiConfigureFailed = "VCS0047";
    public const string GanetiBuildFailed = "VCS0048";
    public const string GanetiReleaseInvalid = "VCS0049";
    public const string GanetiReleaseFailed = "VCS0050";
    public const string InvalidFault = "VCS0051";
    public const string FaultFailed = "VCS0052";
    public const string FailoverFailed = "VCS0053";
}
