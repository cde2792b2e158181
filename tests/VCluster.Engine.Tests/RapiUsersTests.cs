using System.Diagnostics;
using VCluster.Engine.Ganeti;

namespace VCluster.Engine.Tests;

[TestClass]
public sealed class RapiUsersTests
{
    private static readonly RapiCredentials Ours = new("vcluster", "s3cret");

    [TestMethod]
    public void TheLineHoldsTheHa1HashNotThePassword()
    {
        var line = RapiUsers.Line(Ours);

        // md5("vcluster:Ganeti Remote API:s3cret")
        Assert.AreEqual($"vcluster {{HA1}}{RapiUsers.Ha1("vcluster", "s3cret")} write,read", line);
        Assert.AreEqual(32 + "{HA1}".Length, line.Split(' ')[1].Length);
        Assert.DoesNotContain("s3cret", line);
    }

    [TestMethod]
    public void AnEmptyOrMissingFileGetsOurLine()
    {
        Assert.AreEqual(RapiUsers.Line(Ours) + "\n", RapiUsers.Merge(null, Ours));
        Assert.AreEqual(RapiUsers.Line(Ours) + "\n", RapiUsers.Merge("", Ours));
    }

    [TestMethod]
    public void OtherUsersAndCommentsStayAndOurUserIsDefinedOnce()
    {
        var existing = "# users\nalice {HA1}0123 read\nvcluster oldpassword\nbob pw write\n\tvcluster   other write\n";

        var merged = RapiUsers.Merge(existing, Ours);

        Assert.AreEqual($"# users\nalice {{HA1}}0123 read\n{RapiUsers.Line(Ours)}\nbob pw write\n", merged);
        Assert.AreEqual(merged, RapiUsers.Merge(merged, Ours), "a second merge changes nothing");
    }

    [TestMethod]
    public void ANewPasswordReplacesOurLine()
    {
        var first = RapiUsers.Merge("alice pw read\n", Ours);
        var second = RapiUsers.Merge(first, Ours with { Password = "other" });

        Assert.AreEqual($"alice pw read\n{RapiUsers.Line(Ours with { Password = "other" })}\n", second);
    }

    [TestMethod]
    public void CredentialsRoundTripAndRejectWhatTheUsersFileCannotHold()
    {
        var generated = RapiCredentials.Generate("vcluster");
        Assert.AreEqual(32, generated.Password.Length);
        Assert.IsTrue(generated.Password.All(char.IsAsciiLetterOrDigit), generated.Password);
        Assert.AreNotEqual(generated.Password, RapiCredentials.Generate("vcluster").Password);
        Assert.AreEqual(generated, RapiCredentials.Parse(generated.Format()));
        Assert.AreEqual("vcluster:" + generated.Password + "\n", generated.Format());

        Assert.AreEqual(new RapiCredentials("u", "p:w"), RapiCredentials.Parse("u:p:w\n"));
        foreach (var bad in new[] { "", "user", ":pw", "user:", "us er:pw", "user:p w", "#user:pw" })
            Assert.IsNull(RapiCredentials.Parse(bad), bad);
    }

    /// <summary>Ganeti's own parser and password check accept the line (Debian's ganeti-3.0).</summary>
    [TestMethod]
    public void GanetiAuthenticatesOurUserWithWriteAccess()
    {
        using var dir = new TempDir();
        var users = dir.Combine("users");
        File.WriteAllText(users, RapiUsers.Merge("alice pw read\n", Ours));
        var share = GanetiInstallation.Discover("/", null).ShareDir;

        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"""
            import sys
            sys.path.insert(0, "{share}")
            from ganeti.http import auth
            from ganeti.server import rapi
            users = auth.ParsePasswordFile(open("{users}").read())
            handler = rapi.RemoteApiHandler(users.get, False)
            user = users["vcluster"]
            print(sorted(user.options))
            print(handler.VerifyBasicAuthPassword(None, "vcluster", "s3cret", user.password))
            print(handler.VerifyBasicAuthPassword(None, "vcluster", "wrong", user.password))
            """);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.AreEqual(0, process.ExitCode, error);
        Assert.AreEqual("['read', 'write']\nTrue\nFalse", output.Result.Trim());
    }
}
