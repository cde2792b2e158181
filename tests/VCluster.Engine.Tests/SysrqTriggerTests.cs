using System.Diagnostics;
using VCluster.Engine.Model;

namespace VCluster.Engine.Tests;

/// <summary>
/// Native/sysrq-trigger.c: Python, as Ganeti's node setup check runs it, sees
/// /proc/sysrq-trigger as a machine's kernel shows it (the real one where the kernel has it),
/// and nothing else changes.
/// </summary>
[TestClass]
public sealed class SysrqTriggerTests
{
    private const string Probe = """
        import os, stat
        st = os.stat("/proc/sysrq-trigger")
        print(os.path.isfile("/proc/sysrq-trigger"), os.path.isdir("/proc/sys"), oct(stat.S_IMODE(st.st_mode)), st.st_size, st.st_uid)
        fd = os.open("/proc/sysrq-trigger", os.O_WRONLY)
        print(os.access("/proc/sysrq-trigger", os.W_OK), os.access("/proc/sysrq-trigger", os.R_OK))
        try:
            open("/proc/sysrq-trigger").read()
        except PermissionError:
            print("read refused")
        print(os.path.isfile("/proc/sysrq-triggers"), open("/proc/self/comm").read().strip())
        """;

    [TestMethod]
    public void GanetisNodeSetupCheckFindsTheTrigger()
    {
        var lines = PythonWithTheLibrary();
        Assert.AreEqual("True True 0o200 0 0", lines[0], "a write-only regular file of size 0 owned by root, beside /proc/sys");
        Assert.AreEqual("True False", lines[1]);
        Assert.AreEqual("read refused", lines[2]);
        Assert.AreEqual("False python3", lines[3], "other paths pass through");
    }

    private static string[] PythonWithTheLibrary()
    {
        var library = NativeParts.PathOf(NodePreload.LibraryName);
        Assert.IsTrue(File.Exists(library), library);
        var start = new ProcessStartInfo("python3", ["-c", Probe]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LD_PRELOAD"] = library;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, error);
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
