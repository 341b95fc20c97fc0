using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>Parses XML as libvirt reports failures, and prints elements the way libvirt formats them.</summary>
internal static class LibvirtXml
{
    /// <summary>Parses a document; malformed input is libvirt's XML_DETAIL error from the domain config layer.</summary>
    public static XElement Parse(string xml, string what)
    {
        try
        {
            return XElement.Parse(xml, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            var detail = $"({what}):{ex.LineNumber}: {ex.Message}";
            throw DriverErrors.Create(VirtErrorCode.XmlDetail, VirtErrorDomain.Domain, detail, "%s", detail);
        }
    }

    /// <summary>A size element (memory, currentMemory) in KiB, honouring its unit attribute.</summary>
    public static ulong ParseKiB(XElement? element, ulong fallback)
    {
        if (element is null || !ulong.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return fallback;
        }

        var unit = ((string?)element.Attribute("unit"))?.ToLowerInvariant() ?? "kib";
        var bytes = unit switch
        {
            "b" or "bytes" => value,
            "k" or "kib" => value * 1024,
            "kb" => value * 1000,
            "m" or "mib" => value * 1024 * 1024,
            "mb" => value * 1000 * 1000,
            "g" or "gib" => value * 1024 * 1024 * 1024,
            "gb" => value * 1000 * 1000 * 1000,
            _ => throw DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Domain,
                $"invalid argument: unknown suffix '{unit}'", "invalid argument: %s", $"unknown suffix '{unit}'"),
        };
        return bytes / 1024;
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

    public static string Format(XElement element)
    {
        var builder = new StringBuilder();
        Format(builder, element, 0);
        return builder.ToString();
    }
}
