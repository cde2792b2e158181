namespace VCluster.Tool.Qa;

/// <summary>Why, when and on what evidence the policy turns a QA test switch off.</summary>
public sealed record QaSwitchOff(string Because, QaWhen When, params QaEvidence[] Evidence);

/// <summary>A test switch of Ganeti's QA (a key of its configuration's "tests"), and when the policy turns it off (null: never).</summary>
public sealed record QaSwitch(string Name, QaSwitchOff? Off = null)
{
    public bool RunsOn(QaCluster cluster) => Off is null || !Off.When.HoldsFor(cluster);
}

/// <summary>
/// What QA reports as run but which tests nothing on this cluster: a test function that
/// returns before testing anything (<see cref="Switch"/> false: a "pass" that is not counted
/// as one while <see cref="When"/> holds), or a switch whose every test QA itself skips on
/// virtual clusters (true: it stays on as in Ganeti's sample, and QA reports each test skipped).
/// </summary>
public sealed record QaUntested(string Name, bool Switch, string Because, QaWhen When, params QaEvidence[] Evidence);

/// <summary>
/// Which of the QA suite's test switches run on a virtual cluster. Every switch of the
/// installed QA is named (a unit test collects them from qa/*.py and qa-sample.json); a switch
/// is turned off only with its reason and the lines of Ganeti's source that show it (another
/// unit test reads them), some only on some clusters (without LVM, say). Everything else runs,
/// and a failure there is a defect. docs/qa.md lists the same.
/// </summary>
public static class QaPolicy
{
    private static QaEvidence At(string file, int from, int to, string quote) => new(file, from, to, quote);

    private static readonly QaEvidence QaNeverPassesHotplug =
        At("lib/cmdlib/instance_set_params.py", 270, 273, "can't remove volume from a running instance");
    private static readonly QaEvidence HotplugDefaultsOff = At("lib/cli_opts.py", 1521, 1523, "HOTPLUG_OPT = cli_option(\"--hotplug\"");
    private static readonly QaEvidence DrbdNeedsTheModule = At("lib/storage/drbd_info.py", 285, 286, "check if the module");
    private static readonly QaEvidence DrbdSpansTwoNodes = At("qa/qa_instance.py", 1590, 1591, "TestInstanceAddWithDrbdDisk, 2),");

    private static readonly QaSwitchOff NoDrbd = new(
        "needs DRBD instances: DRBD is a kernel module and block devices, which an unprivileged sandbox cannot load or make",
        QaWhen.Always, DrbdNeedsTheModule);

    private static readonly QaSwitchOff NoPlainTemplate = new(
        "makes plain (LVM) instances; without LVM the cluster has no plain template, and QA makes them without checking for it outside the instance blocks (export with remove): TestInstanceAddWithPlainDisk then returns nothing and the next step fails",
        QaWhen.WithoutLvm,
        At("qa/ganeti-qa.py", 1029, 1031, "instance = RunTest(qa_instance.TestInstanceAddWithPlainDisk, [pnode])"),
        At("qa/qa_instance.py", 289, 289, "if constants.DT_PLAIN in qa_config.GetEnabledDiskTemplates():"));

    // Seen in a whole run on 2026-12-05 (docs/qa.md): with exclusive storage on, every node
    // info RPC fails in Ganeti 3.0.2 itself, which compares the float it computed with the
    // string LVM printed ("'<=' not supported between instances of 'float' and 'str'"), so no
    // instance can be made; real LVM prints the same string, so every cluster fails so.
    private static readonly QaSwitchOff ExclusiveStorageFailsInGaneti = new(
        "Ganeti 3.0.2 cannot run exclusive storage under Python 3 on any cluster: with it on, LogicalVolume.GetVGInfo asserts `es_free <= vg_free` between a float and the string vgs printed, so every node info RPC fails (\"'<=' not supported between instances of 'float' and 'str'\") and no instance can be made; seen in a whole run on 2026-12-05 (TestInstanceAddWithPlainDisk of the exclusive-storage block, job INSTANCE_CREATE: \"Cannot get current information from node\")",
        QaWhen.Always,
        At("lib/storage/bdev.py", 396, 398, "assert es_free <= vg_free"));

    public static IReadOnlyList<QaSwitch> Switches { get; } =
    [
        new("env"), new("os"), new("tags"), new("rapi"), new("performance"), new("test-jobqueue"), new("delay"),
        new("create-cluster", new(
            "runs gnt-cluster init, and `up` initialised the cluster before QA runs; `qa --own-cluster` leaves both to QA",
            QaWhen.ToolOwnsCluster,
            At("qa/ganeti-qa.py", 195, 195, "RunTestIf(\"create-cluster\", qa_cluster.TestClusterInit)"),
            At("qa/qa_cluster.py", 207, 208, "\"gnt-cluster\", \"init\","))),
        new("cluster-verify"), new("cluster-info"),
        new("cluster-burnin", new(
            "burnin removes a disk from each running instance with hotplug_if_possible, which falls back to no hotplug on the fake hypervisor (Ganeti's base hypervisor refuses hotplug and the fake one keeps that), and Ganeti refuses to remove a disk from a running instance without hotplug; QA gives burnin no option to skip that phase. `dotnet vcluster burnin` runs burnin without it (docs/burnin.md)",
            QaWhen.Always,
            At("lib/tools/burnin.py", 1123, 1125, "instance_name=instance, hotplug_if_possible=True,"),
            At("lib/hypervisor/hv_base.py", 805, 811, "Hotplug is not supported by this hypervisor"),
            At("lib/cmdlib/instance_set_params.py", 912, 914, "self.op.hotplug = False"),
            QaNeverPassesHotplug)),
        new("cluster-command"), new("cluster-copyfile"), new("cluster-master-failover"), new("cluster-renew-crypto"),
        new("cluster-destroy", new(
            "destroys the cluster (gnt-node remove of every node, then gnt-cluster destroy), which `up` made and `down`/`destroy` manage; `qa --own-cluster` leaves both to QA",
            QaWhen.ToolOwnsCluster,
            At("qa/ganeti-qa.py", 1092, 1094, "RunTestIf(\"cluster-destroy\", qa_cluster.TestClusterDestroy)"),
            At("qa/qa_cluster.py", 1563, 1563, "\"gnt-cluster\", \"destroy\", \"--yes-do-it\""))),
        new("cluster-rename"),
        new("cluster-reserved-lvs", new(
            "tests reserved logical volumes (lvcreate in the volume group); without LVM it returns before testing anything",
            QaWhen.WithoutLvm,
            At("qa/qa_cluster.py", 465, 466, "if not qa_config.IsStorageTypeSupported(constants.ST_LVM_VG):"))),
        new("cluster-modify"), new("cluster-oob"), new("cluster-instance-communication"), new("cluster-epo"),
        new("cluster-redist-conf"), new("cluster-repair-disk-sizes"),
        // Its block turns exclusive storage on for a node and makes plain instances there.
        new("cluster-exclusive-storage", ExclusiveStorageFailsInGaneti with
        {
            Evidence = [.. ExclusiveStorageFailsInGaneti.Evidence,
                At("qa/ganeti-qa.py", 587, 589, "instance2 = qa_instance.TestInstanceAddWithPlainDisk([node])")],
        }),
        new("cluster-instance-policy"),
        new("cluster-upgrade", new(
            "needs two installed Ganeti versions to move between (dir-version, other-dir-version: without them it returns before testing), and then raises on every Ganeti but 2.16",
            QaWhen.Always,
            At("qa/qa_cluster.py", 1436, 1438, "Test not run, as versions not specified"),
            At("qa/qa_cluster.py", 1456, 1457, "if constants.VERSION_MINOR != 16:"))),
        new("haskell-confd"), new("htools"), new("group-list"), new("group-rwops"),
        new("group-custom-ssh-port", new(
            "moves a group's SSH port by iptables rules on each node (port 22 redirected), and then makes plain instances; the virtual nodes share the sandbox's network namespace and their ssh is the tool's shim, not an sshd on port 22",
            QaWhen.Always,
            At("qa/qa_group.py", 90, 91, "ipt_rules.RedirectPort(node.primary, \"localhost\","),
            At("qa/ganeti-qa.py", 656, 656, "instance1 = qa_instance.TestInstanceAddWithPlainDisk(nodes)"))),
        new("network"),
        new("node-list"), new("node-info"),
        new("node-volumes", new(
            "lists the nodes' logical volumes; without LVM every node's query fails and `gnt-node volumes` only warns and lists nothing",
            QaWhen.WithoutLvm,
            At("lib/cmdlib/node.py", 1341, 1345, "Can't compute volume data on node"))),
        new("node-readd"), new("node-storage"), new("node-modify"), new("node-oob"),
        new("node-evacuate", NoDrbd with { Because = "runs only on an instance with two nodes, which only DRBD gives; DRBD is a kernel module and block devices", Evidence = [At("qa/ganeti-qa.py", 563, 564, "if len(inodes) >= 2:"), DrbdSpansTwoNodes, DrbdNeedsTheModule] }),
        new("node-migrate", NoDrbd with { Because = "runs only on an instance with two nodes, which only DRBD gives; DRBD is a kernel module and block devices", Evidence = [At("qa/ganeti-qa.py", 563, 566, "RunTestIf(\"node-migrate\", qa_node.TestNodeMigrate"), DrbdSpansTwoNodes, DrbdNeedsTheModule] }),
        new("node-failover", NoDrbd with { Because = "runs only on an instance with two nodes, which only DRBD gives; DRBD is a kernel module and block devices", Evidence = [At("qa/ganeti-qa.py", 563, 565, "RunTestIf(\"node-failover\", qa_node.TestNodeFailover"), DrbdSpansTwoNodes, DrbdNeedsTheModule] }),
        new("instance-add-plain-disk", NoPlainTemplate),
        new("instance-add-file"), new("instance-add-shared-file"),
        new("instance-add-drbd-disk", NoDrbd),
        new("instance-add-diskless", new(
            "every instance block runs TestInstanceRenameAndBack, whose helper GetInstanceInfo iterates the instance's disks from `gnt-instance info`, which prints an empty list as nothing (None to QA): \"'NoneType' object is not iterable\" on any cluster. Diskless instances run in `dotnet vcluster burnin` and the end-to-end tests",
            QaWhen.Always,
            At("qa/qa_instance.py", 105, 105, "for (count, diskinfo) in enumerate(info[\"Disks\"]):"),
            At("lib/cli.py", 3017, 3018, "buf.write(\"\\n\")"))),
        new("instance-add-rbd", new(
            "needs a Ceph cluster: Ganeti maps each disk with `rbd map`, a kernel block device",
            QaWhen.Always, At("lib/storage/bdev.py", 993, 993, "map_cmd = [constants.RBD_CMD, \"map\", \"-p\", pool, name]"))),
        new("instance-add-gluster", new(
            "needs a Gluster volume, which Ganeti mounts with FUSE (mount -t glusterfs)",
            QaWhen.Always, At("lib/storage/gluster.py", 241, 242, "\"-t\", \"glusterfs\","))),
        new("instance-add-restricted-by-disktemplates"), new("instance-convert-disk"),
        new("instance-plain-rapi-common-tests", new(
            "runs only inside QA's RAPI block, which QA skips on every virtual cluster (qa_rapi.Enabled)",
            QaWhen.Always,
            At("qa/ganeti-qa.py", 985, 985, "if qa_rapi.Enabled():"),
            At("qa/ganeti-qa.py", 995, 996, "if qa_config.TestEnabled(\"instance-plain-rapi-common-tests\"):"),
            At("qa/qa_rapi.py", 332, 334, "not qa_config.UseVirtualCluster()"))),
        new("instance-remove-drbd-offline", NoDrbd with
        {
            Evidence = [At("qa/ganeti-qa.py", 1070, 1071, "\"instance-add-drbd-disk\"]):"), DrbdNeedsTheModule],
        }),
        new("instance-export"), new("instance-failover"), new("instance-grow-disk"),
        new("instance-import", new(
            "QA imports only as a plain (LVM) instance: without LVM TestInstanceImport returns without importing, and QA then starts the instance it did not make. `gnt-backup import` of a file instance runs in the end-to-end tests",
            QaWhen.WithoutLvm,
            At("qa/qa_instance.py", 1114, 1116, "templ = constants.DT_PLAIN"),
            At("qa/ganeti-qa.py", 479, 485, "RunTest(qa_instance.TestInstanceStartup, newinst)"))),
        new("instance-info"), new("instance-list"), new("instance-migrate"), new("instance-modify"), new("instance-modify-primary"),
        new("instance-modify-disks", new(
            "removes a disk from the running instance without `--hotplug` (QA never passes it, and it defaults to off), which Ganeti refuses on every hypervisor",
            QaWhen.Always,
            At("qa/qa_instance.py", 795, 796, "@InstanceCheck(INST_UP, INST_UP, FIRST_ARG)"),
            At("qa/qa_instance.py", 818, 818, "AssertCommand(build_cmd(\"remove\"))"),
            HotplugDefaultsOff, QaNeverPassesHotplug)),
        new("instance-reboot"),
        new("instance-reinstall", new(
            "after QA's reinstall with an unreachable image URL (which must fail), its plain reinstall images the disk from that URL again and fails: Ganeti 3.0 saves a reinstall's OS parameters before it images the disks (NEWS: \"Fix for instance reinstall not updating config (issue #1193)\"), and QA expects them forgotten. `dotnet vcluster burnin` reinstalls instances (docs/burnin.md)",
            QaWhen.Always,
            At("qa/qa_instance.py", 418, 423, "AssertCommand([\"gnt-instance\", \"reinstall\", \"-f\", instance.name])"),
            At("lib/cmdlib/instance_operation.py", 449, 458, "self.instance.osparams = self.op.osparams"))),
        new("instance-rename"), new("instance-shutdown"),
        new("instance-device-names", new(
            "adds a disk to the running instance and removes it by name without `--hotplug` (QA never passes it, and it defaults to off), which Ganeti refuses on every hypervisor",
            QaWhen.Always,
            At("qa/qa_instance.py", 851, 852, "@InstanceCheck(INST_UP, INST_UP, FIRST_ARG)"),
            At("qa/qa_instance.py", 870, 872, "\"--%s=test_device:remove\" % dev_type,"),
            HotplugDefaultsOff, QaNeverPassesHotplug)),
        new("instance-device-hotplug", new(
            "QA reads it only for KVM instances (its hotplug test); on the fake hypervisor it changes nothing, and the fake hypervisor has no hotplug",
            QaWhen.Always,
            At("qa/qa_instance.py", 655, 657, "qa_config.TestEnabled(\"instance-device-hotplug\")"))),
        new("instance-user-down"),
        new("instance-communication", new(
            "QA's own _GetInstanceFields splits `gnt-instance list --separator=:` at every ':', and the communication NIC is named 'ganeti:communication:<instance>', so its NIC check fails on any cluster; the route checks after it need the TAP device KVM or Xen make",
            QaWhen.Always,
            At("qa/qa_instance.py", 180, 182, ".split(\":\"))"),
            At("qa/qa_instance.py", 1437, 1445, "constants.INSTANCE_COMMUNICATION_NIC_PREFIX"))),
        new("job-list"), new("jobqueue-performance"),
        new("parallel-performance", new(
            "its tests make DRBD or plain instances only: without LVM it runs nothing",
            QaWhen.WithoutLvm,
            At("qa/ganeti-qa.py", 926, 930, "if qa_config.IsTemplateSupported(constants.DT_PLAIN):"))),
        // Ganeti's sample configuration asks for cron off for these two; QA pauses the watcher
        // itself first (TestPauseWatcher), so the cluster's cron runs exit at once and only
        // QA's own `ganeti-watcher --ignore-pause` acts (docs/qa.md).
        new("instance-automatic-restart"), new("instance-consecutive-failures"),
        new("instance-console"),
        new("instance-replace-disks", NoDrbd with
        {
            Because = "replaces the disks of DRBD instances only (returns at once for any other); DRBD is a kernel module and block devices",
            Evidence = [At("qa/qa_instance.py", 927, 930, "Instance doesn't support disk replacing"), DrbdNeedsTheModule],
        }),
        new("instance-recreate-disks", new(
            "to simulate lost disks QA deletes an instance's folder in the file storage folder (the file-storage-dir key) for shared-file instances too, whose disks are in the shared-file folder; recreate-disks then finds the old disk file and refuses to create it (EEXIST) on any cluster. Tried on 2026-12-05: the file block's TestRecreateDisks passed, the shared-file block's failed so",
            QaWhen.WithSharedFile,
            At("qa/qa_instance.py", 152, 158, "storage_dir = qa_config.get(\"file-storage-dir\","),
            At("lib/storage/filestorage.py", 74, 79, "os.O_RDWR | os.O_CREAT | os.O_EXCL"))),
        new("inter-cluster-instance-move", new(
            "runs only where QA's RAPI tests run, which QA skips on every virtual cluster; QA moves within one cluster and notes that the move crashes on file-based instances",
            QaWhen.Always,
            At("qa/ganeti-qa.py", 492, 494, "qa_config.TestEnabled([qa_rapi.Enabled, \"inter-cluster-instance-move\"])"),
            At("qa/qa_rapi.py", 332, 334, "not qa_config.UseVirtualCluster()"))),
        new("default-instance-tests"),
        new("exclusive-storage-instance-tests", ExclusiveStorageFailsInGaneti),
        new("mon-collector"),
        // Switches Ganeti's sample does not name (its "default": true turns them on).
        new("filters"), new("instance-add-osparams"),
        new("instance-data-censorship", new(
            "tests only that a DRBD instance's secret stays out of RAPI's answers: for any other instance it returns at once",
            QaWhen.Always,
            At("qa/qa_rapi.py", 1344, 1347, "skipping for non-DRBD instance"))),
        .. new[] { "parallel-failover", "parallel-migration", "parallel-replace-disks", "parallel-reboot", "parallel-reinstall", "parallel-rename" }
            .Select(name => new QaSwitch(name, NoDrbd with
            {
                Because = "runs on a DRBD instance only; DRBD is a kernel module and block devices",
                Evidence = [At("qa/ganeti-qa.py", 933, 934, "if qa_config.IsTemplateSupported(constants.DT_DRBD8) and"), DrbdNeedsTheModule],
            })),
    ];

    /// <summary>
    /// Tests that QA runs and reports, but that return before testing anything on this cluster
    /// (while their condition holds: a pass of theirs counts as "returned without testing",
    /// not as passed), and switches whose tests QA itself skips on virtual clusters.
    /// </summary>
    public static IReadOnlyList<QaUntested> Untested { get; } =
    [
        new("TestClusterModifyUserShutdown", false, "tests user shutdown on Xen and KVM only", QaWhen.FakeHypervisor,
            At("qa/qa_cluster.py", 1134, 1143, "hypervisor is not enabled, skipping test for this hypervisor")),
        new("TestInstanceUserDown", false, "tests user shutdown on Xen and KVM only", QaWhen.FakeHypervisor,
            At("qa/qa_instance.py", 1404, 1413, "hypervisor is not enabled, skipping test for this hypervisor")),
        new("TestInstStatusCollector", false, "tests the Xen instance status collector, and returns on any other hypervisor", QaWhen.FakeHypervisor,
            At("qa/qa_monitoring.py", 53, 56, "if not is_xen:")),
        new("TestGroupModify", false, "returns unless an LVM template (plain, drbd) is enabled; `htools` acts only inside it", QaWhen.WithoutLvm,
            At("qa/qa_group.py", 299, 300, "if not qa_config.IsStorageTypeSupported(constants.ST_LVM_VG):"),
            At("qa/qa_group.py", 313, 313, "if qa_config.TestEnabled(\"htools\"):")),
        new("TestInstanceFailover", false, "returns for an instance whose template is not mirrored", QaWhen.NotMirrored,
            At("qa/qa_instance.py", 507, 510, "Instance doesn't support failover, skipping")),
        new("TestInstanceMigrate", false, "returns for an instance whose template is not mirrored", QaWhen.NotMirrored,
            At("qa/qa_instance.py", 525, 528, "Instance doesn't support migration, skipping")),
        new("TestInstanceModifyPrimaryAndBack", false, "tests file instances only", QaWhen.NotFile,
            At("qa/qa_instance.py", 694, 696, "Test only supported for the file disk template")),
        new("TestInstanceAddOsParams", false, "makes a plain instance, and returns without the plain template", QaWhen.WithoutLvm,
            At("qa/qa_instance.py", 1547, 1548, "if not qa_config.IsTemplateSupported(constants.DT_PLAIN):")),
        new("TestInstanceCreationRestrictedByDiskTemplates", false, "returns while cluster-exclusive-storage is on", QaWhen.WhileExclusiveStorageRuns,
            At("qa/qa_instance.py", 1185, 1187, "# These tests are valid only for non-exclusive storage")),
        new("os", true, "QA runs its OS tests only off virtual clusters (NoVirtualCluster)", QaWhen.Always,
            At("qa/ganeti-qa.py", 289, 289, "os_enabled = [\"os\", qa_config.NoVirtualCluster]")),
        new("cluster-copyfile", true, "QA runs TestClusterCopyfile only off virtual clusters (NoVirtualCluster)", QaWhen.Always,
            At("qa/ganeti-qa.py", 261, 262, "([\"cluster-copyfile\", qa_config.NoVirtualCluster],")),
        new("cluster-oob", true, "QA runs TestClusterOob only off virtual clusters (NoVirtualCluster)", QaWhen.Always,
            At("qa/ganeti-qa.py", 268, 269, "([\"cluster-oob\", qa_config.NoVirtualCluster],")),
        new("node-oob", true, "QA runs TestOutOfBand only off virtual clusters (NoVirtualCluster)", QaWhen.Always,
            At("qa/ganeti-qa.py", 410, 410, "RunTestIf([\"node-oob\", qa_config.NoVirtualCluster], qa_node.TestOutOfBand)")),
        new("rapi", true, "QA runs its RAPI tests only off virtual clusters (qa_rapi.Enabled: \"TODO: Implement RAPI tests for virtual clusters\")", QaWhen.Always,
            At("qa/qa_rapi.py", 332, 334, "# TODO: Implement RAPI tests for virtual clusters")),
    ];

    public static QaSwitch? Named(string name) => Switches.FirstOrDefault(s => s.Name == name);

    /// <summary>
    /// A quick subset for CI: cluster, node, instance and job tests, a few minutes. Fixed, so
    /// that CI's time stays comparable: nothing is added to it.
    /// </summary>
    public static IReadOnlyList<string> Quick { get; } =
    [
        "env", "tags", "cluster-verify", "cluster-info", "cluster-command", "cluster-redist-conf",
        "node-list", "node-info", "node-modify", "group-list", "default-instance-tests", "instance-add-file",
        "instance-list", "instance-info", "instance-shutdown", "instance-reboot", "instance-rename", "job-list",
    ];
}
