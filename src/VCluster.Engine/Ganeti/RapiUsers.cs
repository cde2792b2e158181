using System.Security.Cryptography;
using System.Text;

namespace VCluster.Engine.Ganeti;

/// <summary>A RAPI user and its plain password, as the credentials file holds them.</summary>
public sealed record RapiCredentials(string User, string Password)
{
    /// <summary>The credentials file's one line, "user:password", as curl's -u takes it.</summary>
    public string Format() => $"{User}:{Password}\n";

    /// <summary>Null if <paramref name="text"/> is not one "user:password" line usable in the users file.</summary>
    public static RapiCredentials? Parse(string text)
    {
        var line = text.Trim();
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == line.Length - 1 || line.Any(char.IsWhiteSpace) || line.Contains('#', StringComparison.Ordinal))
            return null;
        return new RapiCredentials(line[..colon], line[(colon + 1)..]);
    }

    /// <summary>A new password: 32 letters and digits (no character the users file or a URL would need escaped).</summary>
    public static RapiCredentials Generate(string user) =>
        new(user, RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32));
}

/// <summary>
/// Ganeti's RAPI users file (pathutils.RAPI_USERS_FILE): one "user password [options]" line
/// per user, '#' comments. Passwords are stored as {HA1}: MD5 of "user:realm:password", as
/// RFC 2617 and Ganeti's http.auth define it, so the plain password stays out of node trees.
/// </summary>
public static class RapiUsers
{
    /// <summary>ganeti.server.rapi.RemoteApiHandler.AUTH_REALM.</summary>
    public const string Realm = "Ganeti Remote API";

    /// <summary>Every RAPI access right Ganeti knows (ganeti.rapi.RAPI_ACCESS_ALL).</summary>
    public const string AllAccess = "write,read";

    public static string Ha1(string user, string password)
    {
#pragma warning disable CA5351 // Ganeti's {HA1} scheme is MD5 by definition (RFC 2617).
        var hash = MD5.HashData(Encoding.UTF8.GetBytes($"{user}:{Realm}:{password}"));
#pragma warning restore CA5351
        return Convert.ToHexStringLower(hash);
    }

    public static string Line(RapiCredentials credentials) =>
        $"{credentials.User} {{HA1}}{Ha1(credentials.User, credentials.Password)} {AllAccess}";

    /// <summary>
    /// The users file with <paramref name="credentials"/>' user defined once, by our line, and
    /// every other line (other users, comments) kept as it was.
    /// </summary>
    public static string Merge(string? existing, RapiCredentials credentials)
    {
        var lines = (existing ?? "").Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        var ours = Line(credentials);
        var index = lines.FindIndex(l => Defines(l, credentials.User));
        lines.RemoveAll(l => Defines(l, credentials.User));
        if (index < 0)
            lines.Add(ours);
        else
            lines.Insert(index, ours);
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Whether a line defines <paramref name="user"/> (Ganeti splits on any whitespace).</summary>
    private static bool Defines(string line, string user)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            return false;
        return trimmed.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0] == user;
    }
}
