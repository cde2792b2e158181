using System.Xml;

namespace VCluster.Engine.Diagnostics;

/// <summary>
/// Finds the line of a property or item in a project file, so that errors point at it.
/// MSBuild does not hand tasks the location of item metadata, so the file is read again,
/// only when there is an error to report.
/// </summary>
public sealed class ProjectSourceLocator(string? projectFile)
{
    private List<(string Name, string? Include, int Line, int Column)>? _elements;

    public string? File => projectFile;

    public VClusterDiagnostic Error(string code, string message, string elementName, string? include = null)
    {
        var (line, column) = Locate(elementName, include);
        return new VClusterDiagnostic(code, message, projectFile, line, column);
    }

    public (int Line, int Column) Locate(string elementName, string? include = null)
    {
        _elements ??= Read();
        // The last definition wins in MSBuild, so the last matching element is the one in force.
        for (var i = _elements.Count - 1; i >= 0; i--)
        {
            var e = _elements[i];
            if (e.Name == elementName && (include is null || string.Equals(e.Include?.Trim(), include, StringComparison.OrdinalIgnoreCase)))
                return (e.Line, e.Column);
        }
        return (0, 0);
    }

    private List<(string, string?, int, int)> Read()
    {
        var found = new List<(string, string?, int, int)>();
        if (projectFile is null || !System.IO.File.Exists(projectFile))
            return found;
        try
        {
            using var reader = XmlReader.Create(projectFile, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
            var info = (IXmlLineInfo)reader;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element)
                    // LinePosition is that of the name; the element starts at its "<".
                    found.Add((reader.LocalName, reader.GetAttribute("Include"), info.LineNumber, info.LinePosition - 1));
            }
        }
        catch (XmlException)
        {
            // A project MSBuild could load is well-formed; if not, report without a line.
        }
        return found;
    }
}
