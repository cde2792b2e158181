using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static VCluster.EndToEnd.Tests.OrdinaryUser;

namespace VCluster.EndToEnd.Tests;

/// <summary>
/// What Ganeti left in a cluster, normalised for exactly what docs/join.md lists as random or
/// time-dependent, so that two clusters built two ways compare equal when they are the same:
/// the master's configuration, and per node every file (path, type, mode, owner) with the
/// contents of its ssconf files.
/// </summary>
public sealed partial record ClusterSnapshot(string Configuration, SortedDictionary<string, List<string>> Nodes)
{
    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();

    [GeneratedRegex("([0-9A-F]{2}:){19}[0-9A-F]{2}")]
    private static partial Regex CertificateDigest();

    [GeneratedRegex("^(var/run/ganeti/livelocks/.*)_[0-9]+$")]
    private static partial Regex Livelock();

    [GeneratedRegex("^(var/log/ganeti/os/.*)-[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}(\\.log)$")]
    private static partial Regex OsLog();

    public static ClusterSnapshot Take(string root, string master = "node1")
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "nodes", master, "var/lib/ganeti/config.data")))!.AsObject();
        var names = ObjectNames(config);
        var nodes = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var dir in Directory.GetDirectories(Path.Combine(root, "nodes")).Order(StringComparer.Ordinal))
            nodes[Path.GetFileName(dir)] = Files(dir, names);
        return new ClusterSnapshot(Normalise(config, names, null)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), nodes);
    }

    /// <summary>Every UUID of the configuration, named by what it names: "node:node2", "group:default", ...</summary>
    private static Dictionary<string, string> ObjectNames(JsonObject config)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal) { [config["cluster"]!["uuid"]!.GetValue<string>()] = "cluster" };
        foreach (var (kind, field) in new[] { ("nodes", "node"), ("nodegroups", "group"), ("instances", "instance"), ("networks", "network"), ("disks", "disk") })
        {
            foreach (var (uuid, item) in config[kind]?.AsObject() ?? [])
                names[uuid] = $"{field}:{item!["name"]?.GetValue<string>() ?? item["iv_name"]?.GetValue<string>() ?? uuid}";
        }
        // A disk has no name of its own: it is its instance's disk at an index; a NIC likewise.
        foreach (var (_, instance) in config["instances"]?.AsObject() ?? [])
        {
            var owner = instance!["name"]!.GetValue<string>();
            foreach (var (disk, index) in instance["disks"]!.AsArray().Select((d, i) => (d!.GetValue<string>(), i)))
                names[disk] = $"disk:{owner}/{index}";
            foreach (var (nic, index) in instance["nics"]!.AsArray().Select((n, i) => (n!["uuid"]?.GetValue<string>(), i)))
            {
                if (nic is not null)
                    names[nic] = $"nic:{owner}/{index}";
            }
        }
        return names;
    }

    /// <summary>
    /// Times and serial numbers become 0, certificate digests and SSH host keys placeholders,
    /// UUIDs the names of their objects; the ipolicy's disk templates (a set, which Ganeti
    /// writes in hash order) are sorted.
    /// </summary>
    private static JsonNode? Normalise(JsonNode? node, Dictionary<string, string> names, string? property)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(p => names.GetValueOrDefault(p.Key, p.Key), StringComparer.Ordinal))
                {
                    JsonNode? normal = key switch
                    {
                        "ctime" or "mtime" or "serial_no" => 0,
                        "mac" => "<mac>",
                        "rsahostkeypub" or "dsahostkeypub" => "<ssh host key>",
                        "candidate_certs" => new JsonObject(value!.AsObject().Select(c => KeyValuePair.Create(names.GetValueOrDefault(c.Key, c.Key), (JsonNode?)"<digest>")).OrderBy(c => c.Key, StringComparer.Ordinal)),
                        "disk-templates" => new JsonArray(value!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal).Select(v => (JsonNode?)v).ToArray()),
                        _ => Normalise(value, names, key),
                    };
                    result[names.GetValueOrDefault(key, key)] = normal;
                }
                return result;
            case JsonArray array:
                return new JsonArray(array.Select(v => Normalise(v, names, property)).ToArray());
            case JsonValue value when value.TryGetValue<string>(out var text):
                return Uuid().Replace(text, m => names.GetValueOrDefault(m.Value, "<uuid>"));
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>
    /// "path type mode owner [-> link target]" for every file of a node's tree, and "path = content" for its
    /// ssconf files. Left out: the job queue's job files (each way runs its own jobs) and
    /// Python's byte-code caches; livelock names lose their time.
    /// </summary>
    private static List<string> Files(string dir, Dictionary<string, string> names)
    {
        // Overlayfs' work folder (mode 000) is listed but not entered: its owner may not.
        var find = Host(dir, ["find", ".", "-mindepth", "1", "-printf", "%P|%y|%m|%u:%g|%l\\n", "-path", "./etc-overlay/work/work", "-prune"]);
        Assert.AreEqual(0, find.ExitCode, find.ToString());
        var files = new List<string>();
        foreach (var line in find.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('|');
            var path = fields[0];
            if (Regex.IsMatch(path, @"^var/lib/ganeti/queue/(job-[0-9]+|archive/.+)$") || path.Contains("__pycache__", StringComparison.Ordinal))
                continue;
            path = OsLog().Replace(Livelock().Replace(path, "$1_<time>"), "$1-<time>$2");
            path = Uuid().Replace(path, m => names.GetValueOrDefault(m.Value, "<uuid>"));
            var target = Uuid().Replace(fields[4], m => names.GetValueOrDefault(m.Value, "<uuid>"));
            files.Add($"{path} {fields[1]} {fields[2]} {fields[3]}{(target.Length > 0 ? " -> " + target : "")}");
            if (Path.GetFileName(path).StartsWith("ssconf_", StringComparison.Ordinal))
            {
                var lines = File.ReadAllLines(Path.Combine(dir, path))
                    .Select(l => CertificateDigest().Replace(Uuid().Replace(l, m => names.GetValueOrDefault(m.Value, m.Value)), "<digest>"))
                    .Order(StringComparer.Ordinal);
                files.Add($"{path} = {string.Join(" | ", lines)}");
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
