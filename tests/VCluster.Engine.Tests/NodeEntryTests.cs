using System.Diagnostics;
using VCluster.Engine.Model;
using static VCluster.Engine.Tests.TestSupport;

namespace VCluster.Engine.Tests;

/// <summary>
/// Native/enter-node.c: the mounts a node's cmd asks for, in a mount namespace of the command's
/// own (run here in a user namespace, as the sandbox runs it), and a clear failure for each
/// wrong use, with nothing run.
/// </summary>
[TestClass]
public sealed class NodeEntryTests
{
    [TestMethod]
    public void TheCommandSeesTheNodesFoldersOverTheMachinesAndNoOneElseDoes()
    {
        using var dir = new TempDir();
        var node = Directory.CreateDirectory(dir.Combine("node")).FullName;
        var machine = Directory.CreateDirectory(dir.Combine("machine")).FullName;
        File.WriteAllText(Path.Combine(node, "whose"), "the node's\n");
        File.WriteAllText(Path.Combine(machine, "whose"), "the machine's\n");
        Directory.CreateDirectory(dir.Combine("certs"));

        var (exit, output, error) = Enter(
            ["--bind", node, machine, "--tmpfs", "vcluster-test", dir.Combine("certs"), "size=64k,mode=755",
             "--bind-dir", node, dir.Combine("no-such-folder"), "--",
             "/bin/sh", "-c", $"cat '{machine}/whose'; stat -c %a '{dir.Combine("certs")}'; grep -c ' vcluster-test ' /proc/self/mountinfo; echo \"$0 $1\"", "one", "two words"]);

        Assert.AreEqual(0, exit, error);
        Assert.AreEqual("the node's\n755\n1\none two words\n", output, "the bind, the tmpfs with its options, a missing folder skipped, the arguments as given");
        Assert.AreEqual("the machine's\n", File.ReadAllText(Path.Combine(machine, "whose")), "outside, the machine's folder is untouched");
    }

    [TestMethod]
    [DataRow(new[] { "--bind", "/nonexistent-source", "/tmp", "--", "/bin/true" }, "bind /tmp")]
    [DataRow(new[] { "--bind", "/tmp" }, "unknown or incomplete option '--bind'")]
    [DataRow(new[] { "--mystery", "--", "/bin/true" }, "unknown or incomplete option '--mystery'")]
    [DataRow(new[] { "--bind", "/tmp", "/tmp" }, "no program after --")]
    [DataRow(new[] { "--", "/nonexistent-program" }, "run /nonexistent-program")]
    public void WrongUseFailsWithSeventyAndSaysWhat(string[] arguments, string message)
    {
        var (exit, _, error) = Enter(arguments);
        Assert.AreEqual(70, exit, error);
        StringAssert.Contains(error, "vcluster-enter-node: " + message);
    }

    private static (int Exit, string Output, string Error) Enter(string[] arguments)
    {
        var program = NativeParts.PathOf(NodeEntry.ProgramName);
        Assert.IsTrue(File.Exists(program), program);
        // Root of a user namespace of its own, as a node's processes are in the sandbox.
        var start = new ProcessStartInfo("unshare", ["--user", "--map-root-user", "--", program, .. arguments])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }
}

[TestClass]
public sealed class NativePartsTests
{
    /// <summary>Both architectures' parts lie beside the engine, each built for its machine (the ELF header says which).</summary>
    [TestMethod]
    [DataRow("linux-x64", (ushort)62)]     // EM_X86_64
    [DataRow("linux-arm64", (ushort)183)]  // EM_AARCH64
    public void NativePartsLieBesideTheEngineForEachArchitecture(string runtime, ushort machine)
    {
        foreach (var name in new[] { NodePreload.LibraryName, NodeEntry.ProgramName })
        {
            var elf = NativeParts.Read(name, runtime);
            CollectionAssert.AreEqual("\u007fELF"u8.ToArray(), elf[..4], name);
            Assert.AreEqual(machine, BitConverter.ToUInt16(elf, 18), $"{runtime} {name}");
        }
        Assert.AreEqual("linux-arm64", NativeParts.Identifier(System.Runtime.InteropServices.Architecture.Arm64));
    }

    [TestMethod]
    public void AnArchitectureThePackageLacksIsACodedErrorAtGeneration()
    {
        var error = TestSupport.SingleError(() => NativeParts.Read(NodeEntry.ProgramName, "linux-riscv64"), VCluster.Engine.Diagnostics.ErrorCodes.NativePartsMissing);

        StringAssert.Contains(error.Message, "this machine is linux-riscv64");
        StringAssert.Contains(error.Message, "built for linux-arm64, linux-x64 only");
    }
}
