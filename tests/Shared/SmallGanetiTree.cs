namespace VCluster.Tests.Shared;

/// <summary>
/// A Ganeti source tree small enough for a test: Ganeti 3.0's configure.ac header, a
/// configure that, as autoconf's does, checks its programs, records its options for
/// <c>config.status --config</c> and writes the Makefile, and a Makefile whose <c>all</c>
/// "builds" the one changed module (lib/client/gnt_cluster.py: <c>gnt-cluster version</c>
/// prints <see cref="Marker"/>) and whose <c>install</c> lays out Debian's installed Ganeti
/// under DESTDIR as Ganeti's own install does, with the changed module in it. A full Ganeti
/// build needs GHC and 151 packages and takes long (docs/benchmarks.md); this tree tests the
/// mechanism around it: options, logs, incremental steps, the swap into place, the cluster.
/// </summary>
public static class SmallGanetiTree
{
    public const string Marker = "Built from: a vcluster test tree";

    /// <summary>Lines of the real configure.ac of Ganeti 3.0.2 (lines 1-13) that name it and its version.</summary>
    public const string ConfigureAcHeader = """
        # Configure script for Ganeti
        m4_define([gnt_version_major], [3])
        m4_define([gnt_version_minor], [0])
        m4_define([gnt_version_revision], [2])
        m4_define([gnt_version_suffix], [])
        m4_define([gnt_version_full],
                  m4_format([%d.%d.%d%s],
                            gnt_version_major, gnt_version_minor,
                            gnt_version_revision, gnt_version_suffix))

        AC_PREREQ(2.59)
        AC_INIT(ganeti, gnt_version_full, ganeti@googlegroups.com)
        AC_CONFIG_AUX_DIR(autotools)
        """;

    /// <summary>The header and the package switches (AC_ARG_WITH/AC_ARG_ENABLE) that Ganeti 3.0.2's configure.ac declares.</summary>
    public static string ConfigureAc { get; } = ConfigureAcHeader + "\n" + string.Join("\n",
        new[] { "versionfull", "symlinks", "haskell-profiling", "haskell-coverage", "haskell-tests", "developer-mode" }.Select(n => $"AC_ARG_ENABLE([{n}], ...)")
        .Concat(new[] { "haskell-flags", "sshd-restart-command", "export-dir", "backup-dir", "ssh-config-dir", "xen-config-dir", "os-search-path",
            "extstorage-search-path", "iallocator-search-path", "default-vg", "default-bridge", "user-prefix", "group-prefix", "disk-separator" }.Select(n => $"AC_ARG_WITH([{n}], ...)"))
        .Concat(new[] { "drbd-barriers", "syslog", "restricted-commands", "manpages-in-doc", "monitoring", "metadata", "socat-escape", "socat-compress" }.Select(n => $"AC_ARG_ENABLE([{n}], ...)"))) + "\n";

    /// <summary>
    /// Writes the tree into <paramref name="folder"/>. <paramref name="requiredPrograms"/> are
    /// what its configure looks for (as Ganeti's looks for ghc); <paramref name="configureError"/>,
    /// when set, is an error configure stops with.
    /// </summary>
    public static string Write(string folder, IReadOnlyList<string>? requiredPrograms = null, string? configureError = null, bool withConfigure = true)
    {
        Directory.CreateDirectory(Path.Combine(folder, "lib", "client"));
        Directory.CreateDirectory(Path.Combine(folder, "qa"));
        File.WriteAllText(Path.Combine(folder, "configure.ac"), ConfigureAc);
        var versionDir = Directory.GetDirectories("/usr/share/ganeti")
            .Select(Path.GetFileName).Where(n => n!.StartsWith("3.", StringComparison.Ordinal)).Max()!;
        var module = File.ReadAllText($"/usr/share/ganeti/{versionDir}/ganeti/client/gnt_cluster.py");
        const string line = "  ToStdout(\"Software version: %s\", result[\"software_version\"])\n";
        if (!module.Contains(line, StringComparison.Ordinal))
            throw new InvalidOperationException("the installed gnt_cluster.py has no 'Software version' line to change");
        File.WriteAllText(Path.Combine(folder, "lib", "client", "gnt_cluster.py"), module.Replace(line, line + $"  ToStdout(\"{Marker}\")\n"));
        File.WriteAllText(Path.Combine(folder, "qa", "ganeti-qa.py"), "# the tree's own QA suite\n");

        var checks = string.Join("", (requiredPrograms ?? ["sh"]).Select(p =>
            $"command -v {p} >/dev/null 2>&1 || {{ echo \"configure: error: {p} not found, compilation will not possible\" >&2; exit 1; }}\n"));
        var configure = $$"""
            #!/bin/sh
            # configure for a test tree: autoconf's outward behaviour, nothing more.
            echo "checking for the build's programs..."
            {{checks}}{{(configureError is null ? "" : $"echo \"configure: error: {configureError}\" >&2\nexit 1\n")}}
            options=""
            # As autoconf's config.status --config: quoted only where the shell needs it.
            for a in "$@"; do
              case $a in *[!A-Za-z0-9_./,=:+-]*) q="'$a'" ;; *) q=$a ;; esac
              options="$options${options:+ }$q"
            done
            printf '%s\n' "$options" > config.options
            cat > config.status <<'EOF'
            #!/bin/sh
            [ "$1" = --config ] && cat config.options
            EOF
            chmod +x config.status
            cp Makefile.in Makefile
            echo "config.status: creating Makefile"
            """;
        File.WriteAllText(Path.Combine(folder, withConfigure ? "configure" : "configure.in-template"), configure.Replace("\r", "") + "\n");
        if (withConfigure)
            File.SetUnixFileMode(Path.Combine(folder, "configure"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(folder, "autogen.sh"), "#!/bin/sh\naclocal && autoconf && automake --add-missing\n");
        File.SetUnixFileMode(Path.Combine(folder, "autogen.sh"), (UnixFileMode)0b111_101_101);

        // Debian's layout (what ganeti-3.0 and the ganeti package install); the versioned lib
        // tree (the Haskell daemons, 120 MB) stays Debian's, through a link.
        var makefile = $"""
            DESTDIR =
            V = {versionDir}

            all: build/stamp

            build/stamp: lib/client/gnt_cluster.py
            	mkdir -p build
            	python3 -c "import ast,sys; ast.parse(open(sys.argv[1]).read())" lib/client/gnt_cluster.py
            	cp lib/client/gnt_cluster.py build/gnt_cluster.py
            	touch build/stamp

            install: all
            	mkdir -p $(DESTDIR)/usr/share/ganeti $(DESTDIR)/usr/lib/ganeti $(DESTDIR)/usr/sbin
            	cp -a /usr/share/ganeti/$(V) $(DESTDIR)/usr/share/ganeti/$(V)
            	for f in /usr/share/ganeti/default /usr/lib/ganeti/*; do \
            	  case $$f in */$(V)) ln -s $$f $(DESTDIR)$$f ;; *) cp -a $$f $(DESTDIR)$$f ;; esac; \
            	done
            	cp -a /usr/sbin/gnt-* /usr/sbin/ganeti-* $(DESTDIR)/usr/sbin/
            	cp build/gnt_cluster.py $(DESTDIR)/usr/share/ganeti/$(V)/ganeti/client/gnt_cluster.py

            .PHONY: install
            """;
        File.WriteAllText(Path.Combine(folder, "Makefile.in"), makefile.Replace("\r", "") + "\n");
        return folder;
    }
}
