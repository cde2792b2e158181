using System.Globalization;
using System.Text.Json;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;
using VCluster.Engine.Diagnostics;
using VCluster.Engine.Model;

namespace VCluster.Engine.Rendering;

/// <summary>One template and where its output goes (relative to the node or cluster root).</summary>
public sealed class TemplateEntry
{
    public required string SourcePath { get; init; }
    public required string Output { get; init; }
    public required TemplateScope Scope { get; init; }
    public required int Mode { get; init; }
    internal Template Template { get; init; } = null!;
    internal Template? OutputTemplate { get; init; }
}

/// <summary>
/// The templates of a generation: the defaults listed in <c>templates.json</c> plus the
/// project's <c>VClusterTemplate</c> items (same scope and output = an override). Each is
/// parsed once; a syntax error or an undefined variable is an error with the template's path,
/// line and column, reported before anything is written.
/// </summary>
public sealed class TemplateSet
{
    public const string IndexFileName = "templates.json";

    private TemplateSet(IReadOnlyList<TemplateEntry> entries) => Entries = entries;

    public IReadOnlyList<TemplateEntry> Entries { get; }

    public IEnumerable<TemplateEntry> For(TemplateScope scope) => Entries.Where(e => e.Scope == scope);

    public static TemplateSet Load(string templatesDirectory, IEnumerable<TemplateSpec> extra, ProjectSourceLocator source)
    {
        var errors = new List<VClusterDiagnostic>();
        var specs = new List<TemplateSpec>();
        var index = Path.Combine(templatesDirectory, IndexFileName);
        try
        {
            using var stream = File.OpenRead(index);
            var parsed = JsonSerializer.Deserialize(stream, TemplateIndexJsonContext.Default.TemplateIndex)!;
            specs.AddRange(parsed.Templates.Select(t => new TemplateSpec
            {
                Source = Path.Combine(templatesDirectory, t.Template),
                Output = t.Output,
                Scope = Enum.Parse<TemplateScope>(t.Scope, ignoreCase: true),
                Mode = t.Mode,
            }));
        }
        catch (Exception e) when (e is IOException or JsonException or ArgumentException or UnauthorizedAccessException)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.InvalidTemplateItem,
                $"cannot read the template index '{index}': {e.Message}", index));
        }

        foreach (var item in extra)
        {
            if (string.IsNullOrWhiteSpace(item.Output) || Path.IsPathRooted(item.Output)
                || item.Output.Replace('\\', '/').Split('/').Contains(".."))
            {
                errors.Add(source.Error(ErrorCodes.InvalidTemplateItem,
                    $"VClusterTemplate '{item.Source}' needs OutputPath metadata: a relative path inside the {item.Scope.ToString().ToLowerInvariant()} tree without '..' (got '{item.Output}')",
                    "VClusterTemplate", Path.GetFileName(item.Source)));
                continue;
            }
            if (!File.Exists(item.Source))
            {
                errors.Add(source.Error(ErrorCodes.InvalidTemplateItem, $"VClusterTemplate '{item.Source}' does not exist",
                    "VClusterTemplate", Path.GetFileName(item.Source)));
                continue;
            }
            specs.RemoveAll(s => s.Scope == item.Scope && s.Output == item.Output);
            specs.Add(item);
        }

        var entries = new List<TemplateEntry>();
        foreach (var spec in specs)
        {
            if (!TryParseMode(spec.Mode, out var mode))
            {
                errors.Add(source.Error(ErrorCodes.InvalidTemplateItem,
                    $"template '{spec.Source}': Mode '{spec.Mode}' is not an octal file mode such as 0644", "VClusterTemplate", Path.GetFileName(spec.Source)));
                continue;
            }
            if (!File.Exists(spec.Source))
            {
                // A template index (the SDK's, or a VClusterTemplatesDirectory of the user's) that names a file it lacks.
                errors.Add(new VClusterDiagnostic(ErrorCodes.InvalidTemplateItem,
                    $"the template index '{index}' names '{Path.GetRelativePath(templatesDirectory, spec.Source)}', which does not exist", index));
                continue;
            }
            var template = Parse(File.ReadAllText(spec.Source), spec.Source, errors);
            var outputTemplate = spec.Output.Contains("{{", StringComparison.Ordinal)
                ? Parse(spec.Output, $"{spec.Source} (output path)", errors)
                : null;
            if (template is null)
                continue;
            entries.Add(new TemplateEntry
            {
                SourcePath = spec.Source,
                Output = spec.Output,
                Scope = spec.Scope,
                Mode = mode,
                Template = template,
                OutputTemplate = outputTemplate,
            });
        }
        if (errors.Count > 0)
            throw new VClusterException(errors);
        return new TemplateSet(entries);
    }

    // Scriban's built-in functions are read-only: one set serves every render, where a fresh
    // context would build hundreds of function objects per node.
    private static readonly Scriban.Functions.BuiltinFunctions Builtins = new();

    // A context is costly to build and not thread-safe: each thread keeps one and pushes the
    // model of the node it renders.
    private static readonly ThreadLocal<TemplateContext> Contexts = new(NewContext);

    private static TemplateContext NewContext() => new(Builtins)
    {
        StrictVariables = true,
        EnableRelaxedMemberAccess = false,
        LoopLimit = 0,
        RecursiveLimit = 100,
        NewLine = "\n",
    };

    /// <summary>Renders every template of a scope for one model; returns (output path, text, mode).</summary>
    public List<(string Output, string Text, int Mode)> Render(TemplateScope scope, ScriptObject model)
    {
        var context = Contexts.Value!;
        context.PushGlobal(model);
        try
        {
            var rendered = new List<(string, string, int)>();
            foreach (var entry in For(scope))
            {
                var output = entry.OutputTemplate is null ? entry.Output : Evaluate(entry.OutputTemplate, context, entry.SourcePath);
                rendered.Add((output, Evaluate(entry.Template, context, entry.SourcePath), entry.Mode));
            }
            return rendered;
        }
        catch
        {
            // A render that fails leaves what it wrote so far in the context's output, and the
            // thread's next render would begin with it (a later generation in the same process,
            // an MSBuild node's next build, wrote one node's file with another's text): the
            // thread gets a fresh context instead.
            Contexts.Value = NewContext();
            throw;
        }
        finally
        {
            context.PopGlobal();
        }
    }

    private static string Evaluate(Template template, TemplateContext context, string sourcePath)
    {
        try
        {
            return template.Render(context);
        }
        catch (ScriptRuntimeException e)
        {
            throw new VClusterException(new VClusterDiagnostic(ErrorCodes.TemplateRender,
                e.OriginalMessage, sourcePath, e.Span.Start.Line + 1, e.Span.Start.Column + 1));
        }
    }

    private static Template? Parse(string text, string path, List<VClusterDiagnostic> errors)
    {
        var template = Template.Parse(text, path);
        if (!template.HasErrors)
            return template;
        foreach (var message in template.Messages.Where(m => m.Type == ParserMessageType.Error))
            errors.Add(new VClusterDiagnostic(ErrorCodes.TemplateSyntax, message.Message, path, message.Span.Start.Line + 1, message.Span.Start.Column + 1));
        return null;
    }

    private static bool TryParseMode(string? text, out int mode)
    {
        mode = 0b110_100_100;
        if (string.IsNullOrWhiteSpace(text))
            return true;
        try
        {
            mode = Convert.ToInt32(text.Trim(), 8);
            return mode is >= 0 and <= 0b111_111_111_111 && text.Trim().All(c => c is >= '0' and <= '7');
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

public sealed class TemplateIndex
{
    public List<TemplateIndexEntry> Templates { get; set; } = [];
}

public sealed class TemplateIndexEntry
{
    public string Template { get; set; } = "";
    public string Output { get; set; } = "";
    public string Scope { get; set; } = "node";
    public string? Mode { get; set; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip)]
[System.Text.Json.Serialization.JsonSerializable(typeof(TemplateIndex))]
internal sealed partial class TemplateIndexJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
