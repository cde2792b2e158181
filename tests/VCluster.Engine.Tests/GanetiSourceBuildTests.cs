using VCluster.Engine.Diagnostics;
using VCluster.Engine.Ganeti;
using VCluster.Tests.Shared;

namespace VCluster.Engine.Tests;

/// <summary>
/// Building a Ganeti source tree as Debian does (VClusterGanetiSource): Debian's configure
/// options, each step only when it has work, coded errors that quote the log, and an
/// installation that is swapped in whole. The tree is <see cref="SmallGanetiTree"/>.
/// </summary>
[TestClass]
public sealed class GanetiSourceBuildTests
{
    [TestMethod]
    public void DebiansConfigureOptionsGiveTheInstalledBuildsPathsAndUsers()
    {
        using var dir = new TempDir();
        var installed = GanetiInstallation.Discover("/", dir.Combine("cache"));
        var options = GanetiSourceBuild.DebianConfigureOptions(SmallGanetiTree.ConfigureAc)
            .Select(o => o.Split('=', 2)).ToDictionary(o => o[0], o => o.Length > 1 ? o[1] : "");
        string Constant(string name) => installed.Constants[name]!.ToJsonString().Trim('"');
        string[] List(string name) => installed.Constants[name]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

        Assert.AreEqual(options["--sysconfdir"], Constant("SYSCONFDIR"));
        Assert.AreEqual(options["--localstatedir"], Constant("LOCALSTATEDIR"));
        Assert.AreEqual(options["--prefix"] + "/lib/ganeti", Constant("PKGLIBDIR"));
        Assert.AreEqual(options["--with-export-dir"], Constant("EXPORT_DIR"));
        Assert.AreEqual(options["--with-backup-dir"], Constant("BACKUP_DIR"));
        Assert.AreEqual(options["IP_PATH"], Constant("IP_COMMAND_PATH"));
        CollectionAssert.AreEqual(options["--with-os-search-path"].Split(','), List("OS_SEARCH_PATH"));
        CollectionAssert.AreEqual(options["--with-extstorage-search-path"].Split(','), List("ES_SEARCH_PATH"));
        CollectionAssert.AreEqual(options["--with-iallocator-search-path"].Split(','), List("IALLOCATOR_SEARCH_PATH"));
        Assert.AreEqual("true", Constant("ENABLE_RESTRICTED_COMMANDS"));
        Assert.IsTrue(options.ContainsKey("--enable-restricted-commands"));
        Assert.AreEqual(options["--with-user-prefix"] + "masterd", Constant("MASTERD_USER"));
        Assert.AreEqual(options["--with-group-prefix"] + "daemons", Constant("DAEMONS_GROUP"));
        Assert.AreEqual("/usr/bin/python3", options["PYTHON"], "Debian's Python, whatever the user's PATH puts first");
        // Switches 3.0's configure.ac does not declare are left out; 3.1's declares regex-tdfa.
        Assert.IsFalse(options.ContainsKey("--enable-regex-tdfa"));
        Assert.IsFalse(options.ContainsKey("--with-ssh-initscript"));
        CollectionAssert.Contains(GanetiSourceBuild.DebianConfigureOptions("AC_ARG_ENABLE([regex-tdfa], ...)").ToList(), "--enable-regex-tdfa");
        CollectionAssert.DoesNotContain(GanetiSourceBuild.DebianConfigureOptions("AC_ARG_ENABLE([regex-tdfa], ...)").ToList(), "--disable-symlinks");
    }

    [TestMethod]
    public void ConfigStatusOptionsAreReadAsTheShellReadsThem()
    {
        // What autoconf 2.71's config.status --config printed for Ganeti stable-3.0 (2026-12-05).
        CollectionAssert.AreEqual(
            new[] { "PYTHON=/usr/bin/python3", "--disable-symlinks", "--with-haskell-flags=-optl -Wl,-z,relro -optl -Wl,--as-needed", "--with-user-prefix=gnt-" },
            GanetiSourceBuild.ShellWords("PYTHON=/usr/bin/python3 --disable-symlinks '--with-haskell-flags=-optl -Wl,-z,relro -optl -Wl,--as-needed' --with-user-prefix=gnt-\n").ToList());
        CollectionAssert.AreEqual(new[] { "it's", "a b" }, GanetiSourceBuild.ShellWords("'it'\\''s' a\\ b").ToList());
    }

    [TestMethod]
    public void TheVersionComesFromConfigureAc()
    {
        Assert.AreEqual("3.0.2", GanetiSourceBuild.ReadVersion(SmallGanetiTree.ConfigureAcHeader));
        Assert.AreEqual("3.1.0~rc2", GanetiSourceBuild.ReadVersion(SmallGanetiTree.ConfigureAcHeader
            .Replace("[gnt_version_minor], [0]", "[gnt_version_minor], [1]").Replace("[gnt_version_revision], [2]", "[gnt_version_revision], [0]")
            .Replace("[gnt_version_suffix], []", "[gnt_version_suffix], [~rc2]")));
        Assert.IsNull(GanetiSourceBuild.ReadVersion("AC_INIT(hello, 1.0)\nm4_define([gnt_version_major], [3])"));
    }

    [TestMethod]
    public void ASmallTreeIsConfiguredBuiltAndInstalledOnceThenEachStepOnlyWhenItHasWork()
    {
        using var dir = new TempDir();
        var tree = SmallGanetiTree.Write(dir.Combine("ganeti"));
        var messages = new List<string>();

        var first = GanetiSourceBuild.Build(tree, dir.Combine("build"), messages.Add, CancellationToken.None);
        Assert.IsTrue(first.Configured && first.Built && !first.Generated, string.Join('\n', messages));
        Assert.AreEqual("3.0.2", first.Version);
        Assert.AreEqual(dir.Combine("build", "install"), first.InstallRoot);
        var options = GanetiSourceBuild.DebianConfigureOptions(SmallGanetiTree.ConfigureAc);
        CollectionAssert.AreEqual(options.ToList(), GanetiSourceBuild.ShellWords(File.ReadAllText(Path.Combine(tree, "config.options"))).ToList(), "configure got Debian's options, each one argument");
        StringAssert.Contains(File.ReadAllText(Path.Combine(tree, "config.options")), " '--with-haskell-flags=-optl -Wl,-z,relro -optl -Wl,--as-needed' --with-user-prefix=gnt- ", "quoted as autoconf quotes");
        Assert.AreEqual("3.0.2", File.ReadAllText(Path.Combine(tree, "vcs-version")).Trim(), "a tree outside git gets vcs-version, as Debian writes it");
        foreach (var step in new[] { "configure", "make", "install" })
            Assert.IsTrue(File.Exists(dir.Combine("build", "logs", step + ".log")), step);

        // The result is an installation the engine takes, with the change in it.
        var installation = GanetiInstallation.Discover(first.InstallRoot, dir.Combine("cache"));
        Assert.AreEqual("3.0.2", installation.Version);
        var module = Path.Combine(installation.ShareDir, "ganeti", "client", "gnt_cluster.py");
        StringAssert.Contains(File.ReadAllText(module), SmallGanetiTree.Marker);

        // Nothing changed: no step runs, the installation is the same folder with the same files.
        var installedAt = File.GetLastWriteTimeUtc(module);
        var second = GanetiSourceBuild.Build(tree, dir.Combine("build"), messages.Add, CancellationToken.None);
        Assert.IsTrue(second.UpToDate, string.Join('\n', messages));
        Assert.AreEqual(installedAt, File.GetLastWriteTimeUtc(module));
        StringAssert.Contains(messages[^1], "up to date");

        // A changed source file: make and install again, configure not.
        FileClock.WaitPastEverythingIn(tree);
        File.AppendAllText(Path.Combine(tree, "lib", "client", "gnt_cluster.py"), "# changed again\n");
        var third = GanetiSourceBuild.Build(tree, dir.Combine("build"), messages.Add, CancellationToken.None);
        Assert.IsTrue(third.Built && !third.Configured, string.Join('\n', messages));
        StringAssert.EndsWith(File.ReadAllText(module), "# changed again\n");
        Assert.IsFalse(Directory.Exists(dir.Combine("build", "install.new")) || Directory.Exists(dir.Combine("build", "install.old")));
    }

    [TestMethod]
    public void AFailedMakeKeepsThePreviousInstallationAndQuotesTheError()
    {
        using var dir = new TempDir();
        var tree = SmallGanetiTree.Write(dir.Combine("ganeti"));
        var build = GanetiSourceBuild.Build(tree, dir.Combine("build"), _ => { }, CancellationToken.None);
        var module = Path.Combine(build.InstallRoot, "usr/share/ganeti/3.0/ganeti/client/gnt_cluster.py");
        var good = File.ReadAllText(module);

        var source = Path.Combine(tree, "lib", "client", "gnt_cluster.py");
        FileClock.WaitPastEverythingIn(tree);
        File.AppendAllText(source, "def broken(:\n");
        var error = TestSupport.SingleError(() => GanetiSourceBuild.Build(tree, dir.Combine("build"), _ => { }, CancellationToken.None), ErrorCodes.GanetiBuildFailed);
        Assert.AreEqual(dir.Combine("build", "logs", "make.log"), error.File);
        Assert.IsGreaterThan(0, error.Line);
        StringAssert.Contains(File.ReadAllLines(error.File!)[error.Line - 1], "Error", "the error's line is the log's");
        StringAssert.Contains(error.Message, "make.log");
        Assert.AreEqual(good, File.ReadAllText(module), "the installation the cluster runs is untouched");

        // Fixed: the next build makes and installs, though make's own outputs look newer.
        FileClock.WaitPastEverythingIn(tree);
        File.WriteAllText(source, File.ReadAllText(source).Replace("def broken(:\n", ""));
        Assert.IsTrue(GanetiSourceBuild.Build(tree, dir.Combine("build"), _ => { }, CancellationToken.None).Built);
    }

    [TestMethod]
    public void AFolderThatIsNotGanetiIsRefusedBeforeAnythingRuns()
    {
        using var dir = new TempDir();
        var missing = TestSupport.SingleError(() => GanetiSourceBuild.Build(dir.Combine("nowhere"), dir.Combine("build"), _ => { }, CancellationToken.None), ErrorCodes.GanetiSourceInvalid);
        StringAssert.Contains(missing.Message, "does not exist");

        Directory.CreateDirectory(dir.Combine("other"));
        File.WriteAllText(dir.Combine("other", "configure.ac"), "AC_INIT(hello, 1.0)\n");
        var other = TestSupport.SingleError(() => GanetiSourceBuild.Build(dir.Combine("other"), dir.Combine("build"), _ => { }, CancellationToken.None), ErrorCodes.GanetiSourceInvalid);
        Assert.AreEqual(dir.Combine("other", "configure.ac"), other.File);
        StringAssert.Contains(other.Message, "not a Ganeti source tree");
        Assert.IsFalse(Directory.Exists(dir.Combine("build")), "nothing was written");
    }

    [TestMethod]
    public void AMissingBuildDependencyIsNamedWithTheCommandThatInstallsIt()
    {
        using var dir = new TempDir();
        // configure's own report, as Ganeti's when GHC is missing.
        var tree = SmallGanetiTree.Write(dir.Combine("ganeti"), requiredPrograms: ["ghc-not-on-this-machine"]);
        var error = TestSupport.SingleError(() => GanetiSourceBuild.Build(tree, dir.Combine("build"), _ => { }, CancellationToken.None), ErrorCodes.GanetiBuildDependencyMissing);
        StringAssert.Contains(error.Message, "configure: error: ghc-not-on-this-machine not found");
        StringAssert.Contains(error.Message, "apt-get build-dep ganeti");
        Assert.AreEqual(dir.Combine("build", "logs", "configure.log"), error.File);
        StringAssert.Contains(File.ReadAllLines(error.File!)[error.Line - 1], "ghc-not-on-this-machine not found");

        // A tree without configure needs autotools first.
        var bare = SmallGanetiTree.Write(dir.Combine("checkout"), withConfigure: false);
        var autotools = TestSupport.SingleError(() => GanetiSourceBuild.Build(bare, dir.Combine("build2"), _ => { }, CancellationToken.None,
            new Dictionary<string, string> { ["PATH"] = dir.Combine("empty-path") }), ErrorCodes.GanetiBuildDependencyMissing);
        StringAssert.Contains(autotools.Message, "aclocal, autoconf, automake not found");
        StringAssert.Contains(autotools.Message, "apt-get build-dep ganeti");
    }

    [TestMethod]
    public void AFailedConfigureQuotesItsLine()
    {
        using var dir = new TempDir();
        var tree = SmallGanetiTree.Write(dir.Combine("ganeti"), configureError: "invalid value for syslog, choose one of no/yes/only");
        var error = TestSupport.SingleError(() => GanetiSourceBuild.Build(tree, dir.Combine("build"), _ => { }, CancellationToken.None), ErrorCodes.GanetiConfigureFailed);
        StringAssert.Contains(error.Message, "\"configure: error: invalid value for syslog, choose one of no/yes/only\"");
        Assert.AreEqual(dir.Combine("build", "logs", "configure.log"), error.File);
        Assert.AreEqual("configure: error: invalid value for syslog, choose one of no/yes/only", File.ReadAllLines(error.File!)[error.Line - 1]);
        Assert.IsFalse(Directory.Exists(dir.Combine("build", "install")));
    }
}
