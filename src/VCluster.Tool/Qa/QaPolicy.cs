namespace VCluster.Tool.Qa;

/// <summary>A test switch of Ganeti's QA configuration, and why a virtual cluster leaves it out (null: it runs).</summary>
public sealed record QaTest(string Name, string? LeftOutBecause = null)
{
    public bool Runs => LeftOutBecause is null;
}

/// <summary>
/// Which of the QA suite's test switches (qa/qa-sample.json of Ganeti 3.0) run on a virtual
/// cluster. Left out is only what no virtual cluster can do, each with its Ganeti reason
/// (docs/qa.md lists the same); everything else runs, and a failure there is a defect.
/// </summary>
public static class QaPolicy
{
    private const string NoLvm = "needs LVM volume groups (plain, DRBD and exclusive storage): a virtual node has no block devices";
    private const string NoDrbd = "needs DRBD instances (kernel module and block devices)";

    public static IReadOnlyList<QaTest> Tests { get; } =
    [
        new("env"), new("os"), new("tags"),
        new("rapi", "Ganeti's QA runs no RAPI test on a virtual cluster (qa_rapi.py, Enabled(): \"TODO: Implement RAPI tests for virtual clusters\")"), new("performance"), new("test-jobqueue"), new("delay"),
        new("create-cluster", "the tool initialises the cluster (gnt-cluster init, as `up` does) before QA runs"),
        new("cluster-verify"), new("cluster-info"),
        new("cluster-burnin", "burnin removes a disk from a running instance, which Ganeti allows only by hotplug, and the fake hypervisor has none (file, sharedfile); with diskless instances it reinstalls, which Ganeti refuses without disks; QA passes no switch to skip either phase. `dotnet vcluster burnin` runs burnin with them left out (docs/burnin.md)"),
        new("cluster-command"), new("cluster-copyfile"),
        new("cluster-master-failover"), new("cluster-renew-crypto"),
        new("cluster-destroy", "would destroy the cluster the tool manages; `dotnet vcluster destroy` is the virtual cluster's"),
        new("cluster-rename"), new("cluster-reserved-lvs", NoLvm), new("cluster-modify"), new("cluster-oob"),
        new("cluster-instance-communication"), new("cluster-epo"), new("cluster-redist-conf"), new("cluster-repair-disk-sizes"),
        new("cluster-exclusive-storage", NoLvm), new("cluster-instance-policy"),
        new("cluster-upgrade", "needs two installed Ganeti versions to move between (dir-version, other-dir-version)"),
        new("haskell-confd"), new("htools"), new("group-list"), new("group-rwops"),
        new("group-custom-ssh-port", "moves a group's SSH port with iptables on real sshds; a virtual node's ssh is a shim"),
        new("network", "off in Ganeti's own sample configuration"),
        new("node-list"), new("node-info"), new("node-volumes", NoLvm), new("node-readd"), new("node-storage"), new("node-modify"), new("node-oob"),
        new("node-evacuate", NoDrbd), new("node-migrate", NoDrbd), new("node-failover", NoDrbd),
        new("instance-add-plain-disk", NoLvm), new("instance-add-file"), new("instance-add-shared-file"),
        new("instance-add-drbd-disk", NoDrbd),
        new("instance-add-diskless", "every instance block runs TestInstanceRenameAndBack, whose QA helper `GetInstanceInfo` iterates the instance's `Disks` from `gnt-instance info`, which Ganeti leaves empty for an instance without disks: \"'NoneType' object is not iterable\" on any cluster (qa_instance.py line 105). Diskless instances are made and run by `dotnet vcluster burnin` and the end-to-end tests"),
        new("instance-add-rbd", "needs a Ceph cluster"), new("instance-add-gluster", "needs a Gluster volume"),
        new("instance-add-restricted-by-disktemplates"), new("instance-convert-disk"),
        new("instance-plain-rapi-common-tests", NoLvm), new("instance-remove-drbd-offline", NoDrbd),
        new("instance-export"), new("instance-failover"), new("instance-grow-disk"), new("instance-import", "QA imports only with the plain disk template, LVM: without it `TestInstanceImport` returns without importing (qa_instance.py lines 1114-1116) and QA then starts the instance it did not make (ganeti-qa.py lines 479-486), on any cluster without LVM. `gnt-backup import` of a file instance runs in the end-to-end tests"), new("instance-info"),
        new("instance-list"), new("instance-migrate"), new("instance-modify"), new("instance-modify-primary"),
        new("instance-modify-disks", "off in Ganeti's own sample configuration (hotplug of disks)"),
        new("instance-reboot"),
        new("instance-reinstall", "after QA's reinstall with an unreachable image URL (`os-image=http://NonExistantOsForQa`), which must fail, its plain `gnt-instance reinstall` images the disk from that URL again and fails: Ganeti 3.0 saves a reinstall's OS parameters before it images the disks (lib/cmdlib/instance_operation.py lines 448-458, NEWS: \"Fix for instance reinstall not updating config (issue #1193)\"), and QA (qa_instance.py lines 417-423) expects them forgotten. `dotnet vcluster burnin` reinstalls instances (docs/burnin.md)"),
        new("instance-rename"), new("instance-shutdown"),
        new("instance-device-names", "adds a disk to a running instance and removes it again (`gnt-instance modify --disk=test_device:remove`), which Ganeti allows only by hotplug: \"can't remove volume from a running instance without using hotplug\"; the fake hypervisor has no hotplug"),
        new("instance-device-hotplug", "the fake hypervisor has no hotplug"),
        new("instance-user-down"),
        new("instance-communication", "QA's own `_GetInstanceFields` splits `gnt-instance list --separator=:` output at every ':', and the communication NIC is named `ganeti:communication:<instance>` (Ganeti's INSTANCE_COMMUNICATION_NIC_PREFIX), so its NIC check fails on any cluster (qa_instance.py lines 177-182 and 1437-1445); the route checks after it need the TAP device that KVM or Xen make and the fake hypervisor does not"),
        new("job-list"), new("jobqueue-performance"), new("parallel-performance"),
        // Ganeti's sample configuration asks for cron off for these two; QA pauses the watcher
        // itself first (TestPauseWatcher), so the cluster's cron runs exit at once and only
        // QA's own `ganeti-watcher --ignore-pause` acts (docs/qa.md).
        new("instance-automatic-restart"), new("instance-consecutive-failures"),
        new("instance-console", "the fake hypervisor has no console"),
        new("instance-replace-disks", NoDrbd),
        new("instance-recreate-disks", "off in Ganeti's own sample configuration (long)"),
        new("inter-cluster-instance-move", "needs a second cluster"),
        new("default-instance-tests"),
        new("exclusive-storage-instance-tests", NoLvm),
        new("mon-collector"),
    ];

    /// <summary>A quick subset for CI: cluster, node, instance and job tests, a few minutes.</summary>
    public static IReadOnlyList<string> Quick { get; } =
    [
        "env", "tags", "cluster-verify", "cluster-info", "cluster-command", "cluster-redist-conf",
        "node-list", "node-info", "node-modify", "group-list", "default-instance-tests", "instance-add-file",
        "instance-list", "instance-info", "instance-shutdown", "instance-reboot", "instance-rename", "job-list",
    ];
}
