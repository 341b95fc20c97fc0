using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>Parses XML as libvirt reports failures, and prints elements the way libvirt formats them.</summary>
internal static class LibvirtXml
{
    /// <summary>Parses a document; malformed input is libvirt's XML_DETAIL error, reported by the config layer of <paramref name="domain"/>.</summary>
    public static XElement Parse(string xml, string what, VirtErrorDomain domain)
    {
        try
        {
            return DriverXml.Parse(xml, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            var detail = $"({what}):{ex.LineNumber}: {ex.Message}";
            throw DriverErrors.Create(VirtErrorCode.XmlDetail, domain, detail, "%s", detail);
        }
    }

    /// <summary>A size element (memory, currentMemory) in KiB, honouring its unit attribute (KiB when absent).</summary>
    public static ulong ParseKiB(XElement? element, ulong fallback)
    {
        var bytes = ParseBytes(element, "kib");
        return bytes is null ? fallback : bytes.Value / 1024;
    }

    /// <summary>A size element in bytes, honouring its unit attribute (<paramref name="defaultUnit"/> when absent).</summary>
    public static ulong? ParseBytes(XElement? element, string defaultUnit = "bytes")
    {
        if (element is null || !ulong.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var unit = (string?)element.Attribute("unit") ?? defaultUnit;

        // libvirt's unit parser reports from no particular domain.
        return XmlSizeUnits.ToBytes(value, unit) ?? throw DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.None,
            $"invalid argument: unknown suffix '{unit}'", "invalid argument: %s", $"unknown suffix '{unit}'");
    }

    /// <summary>Writes an element with single-quoted attributes and two-space indentation, as libvirt does.</summary>
    public static void Format(StringBuilder builder, XElement element, int indent)
    {
        builder.Append(' ', indent).Append('<').Append(element.Name.LocalName);
        foreach (var attribute in element.Attributes())
        {
            if (attribute.IsNamespaceDeclaration)
            {
                continue;
            }

            builder.Append(' ').Append(attribute.Name.LocalName).Append("='").Append(Escape(attribute.Value, attribute: true)).Append('\'');
        }

        var children = element.Elements().ToList();
        if (children.Count == 0)
        {
            var text = element.Value;
            if (text.Length == 0)
            {
                builder.Append("/>\n");
            }
            else
            {
                builder.Append('>').Append(Escape(text, attribute: false)).Append("</").Append(element.Name.LocalName).Append(">\n");
            }

            return;
        }

        builder.Append(">\n");
        foreach (var child in children)
        {
            Format(builder, child, indent + 2);
        }

        builder.Append(' ', indent).Append("</").Append(element.Name.LocalName).Append(">\n");
    }

    public static string Escape(string text, bool attribute)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '\'' when attribute => "&apos;",
                '"' when attribute => "&quot;",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }

    /// <summary>
    /// Writes a foreign-namespace element (domain metadata) as libxml2 dumps it: qualified name,
    /// double-quoted attributes, namespace declarations kept.
    /// </summary>
    public static void FormatForeign(StringBuilder builder, XElement element, int indent)
    {
        var name = QualifiedName(element, element.Name);
        builder.Append(' ', indent).Append('<').Append(name);
        foreach (var attribute in element.Attributes())
        {
            var attributeName = attribute.IsNamespaceDeclaration
                ? (attribute.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + attribute.Name.LocalName)
                : QualifiedName(element, attribute.Name);
            builder.Append(' ').Append(attributeName).Append("=\"").Append(Escape(attribute.Value, attribute: true)).Append('"');
        }

        var children = element.Elements().ToList();
        if (children.Count == 0)
        {
            var text = element.Value;
            if (text.Length == 0)
            {
                builder.Append("/>\n");
            }
            else
            {
                builder.Append('>').Append(Escape(text, attribute: false)).Append("</").Append(name).Append(">\n");
            }

            return;
        }

        builder.Append(">\n");
        foreach (var child in children)
        {
            FormatForeign(builder, child, indent + 2);
        }

        builder.Append(' ', indent).Append("</").Append(name).Append(">\n");
    }

    private static string QualifiedName(XElement scope, XName name)
    {
        if (name.Namespace == XNamespace.None)
        {
            return name.LocalName;
        }

        var prefix = scope.GetPrefixOfNamespace(name.Namespace);
        return prefix is null ? name.LocalName : prefix + ":" + name.LocalName;
    }

    /// <summary>A detached copy of <paramref name="element"/> that still declares the prefix of its own namespace.</summary>
    public static XElement DetachWithNamespace(XElement element)
    {
        var copy = new XElement(element);
        if (element.Name.Namespace != XNamespace.None)
        {
            var prefix = element.GetPrefixOfNamespace(element.Name.Namespace);
            var declaration = prefix is null ? (XName)"xmlns" : XNamespace.Xmlns + prefix;
            if (copy.Attribute(declaration) is null)
            {
                copy.Add(new XAttribute(declaration, element.Name.NamespaceName));
            }
        }

        return copy;
    }

    public static string Format(XElement element)
    {
        var builder = new StringBuilder();
        Format(builder, element, 0);
        return builder.ToString();
    }

    public static string FormatForeign(XElement element)
    {
        var builder = new StringBuilder();
        FormatForeign(builder, element, 0);
        return builder.ToString();
    }
}
