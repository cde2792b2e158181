using System.Diagnostics;
using System.Text.RegularExpressions;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Layout;

namespace VCluster.Engine.Ganeti;

/// <summary>What one build of a Ganeti source tree did, and where its installation is.</summary>
public sealed record GanetiSourceBuildResult(
    string SourceTree,
    string Version,
    string InstallRoot,
    bool Generated,
    bool Configured,
    bool Built,
    TimeSpan Elapsed)
{
    /// <summary>True when nothing had to be done: the installation already was the tree's.</summary>
    public bool UpToDate => !Generated && !Configured && !Built;
}

/// <summary>
/// Builds a Ganeti source tree (a checkout of ganeti/ganeti or an unpacked release) as Debian
/// builds its packages and installs it into a folder the cluster runs (<c>VClusterGanetiRoot</c>):
/// <c>./autogen.sh</c> when the tree has no <c>configure</c>, Debian's <c>./configure</c>
/// options (<see cref="DebianConfigureOptions"/>) in the tree itself as <c>debian/rules</c>
/// does, Ganeti's own <c>make</c>, and <c>make install DESTDIR=</c> into a fresh folder that
/// replaces the previous installation only when it is complete. Each step runs only when it
/// has work: configure when the tree's <c>config.status</c> holds other options, make and
/// install when a file of the tree changed since the last install (or nothing is installed yet).
/// </summary>
public static class GanetiSourceBuild
{
    /// <summary>Where the installation goes under the build's folder.</summary>
    public const string InstallFolder = "install";

    /// <summary>Where each step's output goes under the build's folder.</summary>
    public const string LogFolder = "logs";

    // Written after a complete install: the tree as it was then (TreeSnapshot). Its absence
    // means the installation is missing or half done.
    private const string InstalledStamp = "installed.stamp";

    /// <summary>
    /// Debian's <c>./configure</c> arguments (debian/rules, <c>override_dh_auto_configure</c>,
    /// of ganeti 3.1.0~rc2-3; bookworm's 3.0.2-3 gives the same values, which
    /// GanetiSourceBuildTests checks against the installed <c>_constants.py</c>).
    /// A switch the tree's configure.ac does not declare is left out: 3.0 has neither
    /// <c>--enable-regex-tdfa</c> (it uses regex-pcre) nor <c>--with-ssh-initscript</c>.
    /// </summary>
    public static IReadOnlyList<string> DebianConfigureOptions(string configureAc)
    {
        var options = new List<string>
        {
            // Debian's build machine has one Python, Debian's, which Ganeti's scripts then run
            // with; a user's PATH may put another first (pyenv, a virtualenv) without Ganeti's modules.
            "PYTHON=/usr/bin/python3",
            "IP_PATH=/bin/ip",
            "--prefix=/usr",
            "--localstatedir=/var",
            "--sysconfdir=/etc",
            "--with-export-dir=/var/lib/ganeti/export",
            "--with-iallocator-search-path=/usr/local/lib/ganeti/iallocators,/usr/lib/ganeti/iallocators",
            "--with-os-search-path=/srv/ganeti/os,/usr/local/lib/ganeti/os,/usr/lib/ganeti/os,/usr/share/ganeti/os",
            "--with-extstorage-search-path=/srv/ganeti/extstorage,/usr/local/lib/ganeti/extstorage,/usr/lib/ganeti/extstorage,/usr/share/ganeti/extstorage",
            "--docdir=/usr/share/doc/ganeti",
            "--enable-restricted-commands",
        };
        options.Add("--enable-regex-tdfa");
        options.AddRange(
        [
            "--disable-symlinks",
            "--with-haskell-flags=-optl -Wl,-z,relro -optl -Wl,--as-needed",
            "--with-user-prefix=gnt-",
            "--with-group-prefix=gnt-",
            "--with-ssh-initscript=/usr/sbin/invoke-rc.d ssh",
            "--with-backup-dir=/var/backups",
        ]);
        // Debian's rules follow the newest release; an older tree gets the switches it knows
        // (3.0 has no --with-ssh-initscript, which configure would only warn about).
        return options.Where(o => Knows(configureAc, o)).ToList();
    }

    /// <summary>
    /// True for autoconf's own options and variables, and for a package switch
    /// (--with-NAME, --enable-NAME, --disable-NAME) that configure.ac declares.
    /// </summary>
    private static bool Knows(string configureAc, string option)
    {
        var m = Regex.Match(option, "^--(with|enable|disable)-([a-z0-9-]+)");
        if (!m.Success)
            return true;
        var kind = m.Groups[1].Value == "with" ? "WITH" : "ENABLE";
        return Regex.IsMatch(configureAc, $@"AC_ARG_{kind}\(\s*\[?{Regex.Escape(m.Groups[2].Value)}\]?\s*,");
    }

    /// <summary>"3.0.2" from configure.ac's <c>m4_define([gnt_version_*], ...)</c>; null when the file is not Ganeti's.</summary>
    public static string? ReadVersion(string configureAc)
    {
        if (!Regex.IsMatch(configureAc, @"AC_INIT\(\s*\[?ganeti\]?\s*,"))
            return null;
        string Part(string name) => Regex.Match(configureAc, $@"m4_define\(\[gnt_version_{name}\],\s*\[([^\]]*)\]\)") is { Success: true } m ? m.Groups[1].Value : "";
        var (major, minor, revision) = (Part("major"), Part("minor"), Part("revision"));
        return major.Length == 0 || minor.Length == 0 ? null : $"{major}.{minor}.{(revision.Length == 0 ? "0" : revision)}{Part("suffix")}";
    }

    /// <summary>
    /// Builds <paramref name="sourceTree"/> and installs it under
    /// <paramref name="buildDirectory"/>/<see cref="InstallFolder"/>.
    /// </summary>
    public static GanetiSourceBuildResult Build(string sourceTree, string buildDirectory, Action<string> progress, CancellationToken cancellation,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var clock = Stopwatch.StartNew();
        sourceTree = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sourceTree));
        buildDirectory = Path.GetFullPath(buildDirectory);
        var configureAcPath = Path.Combine(sourceTree, "configure.ac");
        if (!Directory.Exists(sourceTree))
            throw Error(ErrorCodes.GanetiSourceInvalid, $"the Ganeti source tree '{sourceTree}' does not exist", null);
        var configureAc = File.Exists(configureAcPath) ? File.ReadAllText(configureAcPath) : "";
        var version = ReadVersion(configureAc)
            ?? throw Error(ErrorCodes.GanetiSourceInvalid,
                $"'{sourceTree}' is not a Ganeti source tree: it needs Ganeti's configure.ac (AC_INIT(ganeti, ...) with gnt_version_major/minor); " +
                "name a checkout of ganeti/ganeti or an unpacked release", File.Exists(configureAcPath) ? configureAcPath : null);

        var logs = Directory.CreateDirectory(Path.Combine(buildDirectory, LogFolder)).FullName;
        var steps = new Steps(sourceTree, logs, environment, progress, cancellation);
        var installRoot = Path.Combine(buildDirectory, InstallFolder);

        // A checkout (and Debian's orig tarball) has no configure: Debian runs autogen.sh too.
        var generated = false;
        if (!File.Exists(Path.Combine(sourceTree, "configure")))
        {
            steps.Require(["aclocal", "autoconf", "automake"], "autotools to make its configure");
            steps.Run("autogen", ["./autogen.sh"], ErrorCodes.GanetiConfigureFailed);
            generated = true;
        }

        // Ganeti's Makefile needs vcs-version in a tree that is not a git checkout; Debian writes
        // its package version there (debian/rules), this build the tree's own.
        var vcsVersion = Path.Combine(sourceTree, "vcs-version");
        if (!File.Exists(vcsVersion) && !Directory.Exists(Path.Combine(sourceTree, ".git")))
            File.WriteAllText(vcsVersion, version + Environment.NewLine);

        var options = DebianConfigureOptions(configureAc);
        var configured = false;
        if (!steps.ConfiguredWith(options))
        {
            steps.Require(["make"], "make (Debian's build-essential)");
            steps.Run("configure", ["./configure", .. options], ErrorCodes.GanetiConfigureFailed);
            configured = true;
        }

        var stamp = Path.Combine(buildDirectory, InstalledStamp);
        var built = false;
        if (configured || generated || !File.Exists(stamp) || !Directory.Exists(installRoot) || File.ReadAllText(stamp) != TreeSnapshot(sourceTree))
        {
            File.Delete(stamp);
            steps.Run("make", ["make", $"-j{Environment.ProcessorCount}"], ErrorCodes.GanetiBuildFailed);
            // A fresh folder, swapped in whole: a failed install leaves the previous one as it was.
            var staging = installRoot + ".new";
            TreeDelete(staging);
            steps.Run("install", ["make", "install", $"DESTDIR={staging}"], ErrorCodes.GanetiBuildFailed);
            var previous = installRoot + ".old";
            TreeDelete(previous);
            if (Directory.Exists(installRoot))
                Directory.Move(installRoot, previous);
            Directory.Move(staging, installRoot);
            TreeDelete(previous);
            File.WriteAllText(stamp, TreeSnapshot(sourceTree));
            built = true;
        }
        else
        {
            progress($"Ganeti {version} from {sourceTree} is up to date in {installRoot}");
        }
        return new GanetiSourceBuildResult(sourceTree, version, installRoot, generated, configured, built, clock.Elapsed);
    }

    /// <summary>
    /// Every file of the tree (sources and what the build made there, not .git) with its size
    /// and time, hashed. Equal after the last install means nothing changed since, so make
    /// has nothing to do. make cannot say so itself: on a built Ganeti tree where <c>make</c>
    /// answers "Nothing to be done for 'all'", <c>make -q</c> exits 1, since GHC leaves an
    /// interface file (.hi) older than its object when the interface did not change, and the
    /// question mode counts Ganeti's empty rule for it (<c>%.hi: %.o ;</c>) as work
    /// (stable-3.0, 2026-12-05).
    /// </summary>
    internal static string TreeSnapshot(string tree)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        var git = Path.Combine(tree, ".git");
        var lines = new System.Text.StringBuilder();
        foreach (var path in Directory.EnumerateFiles(tree, "*", options)
            .Where(p => !p.StartsWith(git + "/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            var file = new FileInfo(path);
            lines.Append(path, tree.Length + 1, path.Length - tree.Length - 1)
                .Append('\t').Append(file.LinkTarget ?? file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append('\t').Append(file.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lines.ToString())));
    }

    /// <summary>Removes a folder that may hold read-only ones (make install sets modes), never following a link.</summary>
    private static void TreeDelete(string path)
    {
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
            File.Delete(path);
        else
            TreeRemoval.Delete(path);
    }

    private static VClusterException Error(string code, string message, string? file, int line = 0) =>
        new(new VClusterDiagnostic(code, message, file, line));

    /// <summary>The build's commands, each in the tree with its output in its own log.</summary>
    private sealed class Steps(string tree, string logs, IReadOnlyDictionary<string, string>? environment, Action<string> progress, CancellationToken cancellation)
    {
        private string SearchPath => environment is not null && environment.TryGetValue("PATH", out var path) ? path
            : Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";

        public void Require(IReadOnlyList<string> programs, string purpose)
        {
            var missing = programs.Where(p => !OnPath(p)).ToList();
            if (missing.Count > 0)
                throw Error(ErrorCodes.GanetiBuildDependencyMissing,
                    $"building Ganeti from '{tree}' needs {purpose}: {string.Join(", ", missing)} not found on PATH. " +
                    "Install Ganeti's build dependencies with: sudo apt-get build-dep ganeti (a deb-src entry is needed: ./eng/setup.sh adds one)", null);
        }

        private bool OnPath(string program) =>
            SearchPath.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, program)));

        /// <summary>True when the tree was configured with exactly these options (config.status --config).</summary>
        public bool ConfiguredWith(IReadOnlyList<string> options)
        {
            if (!File.Exists(Path.Combine(tree, "config.status")) || !File.Exists(Path.Combine(tree, "Makefile")))
                return false;
            var (code, output) = Execute(["./config.status", "--config"], null);
            return code == 0 && ShellWords(output).SequenceEqual(options);
        }


        public void Run(string step, IReadOnlyList<string> command, string failureCode)
        {
            var log = Path.Combine(logs, step + ".log");
            progress($"Ganeti: {step} in {tree} (log: {log})");
            var clock = Stopwatch.StartNew();
            var (code, _) = Execute(command, log);
            if (code == 0)
            {
                progress($"Ganeti: {step} done in {clock.Elapsed.TotalSeconds:F1} s");
                return;
            }
            var (line, text) = FailingLine(log, step);
            var missing = step == "configure" && IsMissingDependency(text);
            throw Error(missing ? ErrorCodes.GanetiBuildDependencyMissing : failureCode,
                missing
                    ? $"Ganeti's configure in '{tree}' is missing a build dependency: \"{text}\". Install Ganeti's build dependencies with: sudo apt-get build-dep ganeti (log: {log})"
                    : $"Ganeti's {step} ({string.Join(' ', command.Take(2))}) in '{tree}' failed with exit code {code}: \"{text}\" (log: {log})",
                log, line);
        }

        private (int ExitCode, string Output) Execute(IReadOnlyList<string> command, string? log)
        {
            // A program of the tree ("./configure") by its full path: Process.Start resolves a
            // relative one against this process's folder, not WorkingDirectory.
            var file = command[0].StartsWith("./", StringComparison.Ordinal) ? Path.Combine(tree, command[0][2..]) : command[0];
            try
            {
                // A make run from inside another make (MSBuild under make) must not join its jobserver.
                return StepProcess.Run([file, .. command.Skip(1)], tree, log, cancellation, environment, ["MAKEFLAGS", "MFLAGS", "MAKELEVEL"]);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw Error(ErrorCodes.GanetiBuildDependencyMissing,
                    $"cannot run '{command[0]}' in '{tree}': {e.Message}. Install Ganeti's build dependencies with: sudo apt-get build-dep ganeti", null);
            }
        }
    }

    /// <summary>
    /// The words of a shell command line as <c>config.status --config</c> prints configure's
    /// arguments: autoconf quotes with single quotes only those that need it ('\'' inside).
    /// </summary>
    public static IReadOnlyList<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\'')
            {
                var end = line.IndexOf('\'', i + 1);
                if (end < 0)
                    end = line.Length;
                word.Append(line, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
            words.Add(word.ToString());
        return words;
    }

    /// <summary>configure's own words for a program or library it did not find.</summary>
    internal static bool IsMissingDependency(string line) =>
        Regex.IsMatch(line, @"not found|failed to find required module|No package .* found|command not found", RegexOptions.IgnoreCase);

    /// <summary>
    /// The line of a failed step's log that says why, with its 1-based number: configure's
    /// "configure: error:", else the first compiler or make error, else the last line.
    /// </summary>
    internal static (int Line, string Text) FailingLine(string log, string step)
    {
        var lines = File.Exists(log) ? File.ReadAllLines(log) : [];
        int Find(Func<string, bool> match)
        {
            for (var i = 0; i < lines.Length; i++)
                if (match(lines[i]))
                    return i;
            return -1;
        }
        var index = Find(l => l.Contains("configure: error:", StringComparison.Ordinal));
        // The tool's own words (a compiler's "error:", cabal's refusal) say more than make's "*** ... Error 1" after them.
        if (index < 0 && step != "configure")
            index = Find(l => Regex.IsMatch(l, @"error:|\berror\b|^cabal: ", RegexOptions.IgnoreCase) && !l.Contains("***", StringComparison.Ordinal) && !l.Contains("-Werror", StringComparison.Ordinal));
        if (index < 0 && step != "configure")
            index = Find(l => l.Contains("***", StringComparison.Ordinal));
        if (index < 0)
            index = Array.FindLastIndex(lines, l => l.Trim().Length > 0);
        return index < 0 ? (0, "(no output)") : (index + 1, lines[index].Trim());
    }
}
