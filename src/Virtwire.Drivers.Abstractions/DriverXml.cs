using System.Xml;
using System.Xml.Linq;

namespace Virtwire.Drivers;

/// <summary>Parses XML a client sent (definitions, metadata) for a driver.</summary>
public static class DriverXml
{
    /// <summary>
    /// The deepest element nesting accepted: libxml2's default (<c>xmlParserMaxDepth</c>, without
    /// <c>XML_PARSE_HUGE</c>). LINQ to XML copies and reads element values recursively, so a deeper
    /// document sent to DOMAIN_DEFINE_XML overflowed the stack and killed the daemon (issue 8: about
    /// 15,000 levels on a 1.5 MiB thread-pool stack, 100 KiB of XML).
    /// </summary>
    public const int MaxDepth = 256;

    /// <summary>
    /// Parses <paramref name="xml"/> and refuses nesting deeper than <see cref="MaxDepth"/>. A document type
    /// declaration is skipped, not processed: no definition needs one, and its entities could expand a few hundred
    /// bytes into millions of characters ("billion laughs"); a reference to one is an undeclared entity.
    /// </summary>
    /// <exception cref="XmlException">The text is not well-formed XML, refers to an entity, or is nested too deeply.</exception>
    public static XElement Parse(string xml, LoadOptions options)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Ignore,
            XmlResolver = null,
            IgnoreWhitespace = (options & LoadOptions.PreserveWhitespace) == 0,
        };
        using var reader = XmlReader.Create(new StringReader(xml), settings);

        // The parser itself is iterative; the depth is checked before anything recursive sees the tree.
        var root = XElement.Load(reader, options);
        var pending = new Stack<(XElement Element, int Depth)>();
        pending.Push((root, 1));
        while (pending.TryPop(out var item))
        {
            if (item.Depth > MaxDepth)
            {
                IXmlLineInfo position = item.Element;
                throw new XmlException($"Excessive depth in document: {MaxDepth} use XML_PARSE_HUGE option", null,
                    position.LineNumber, position.LinePosition);
            }

            foreach (var child in item.Element.Elements())
            {
                pending.Push((child, item.Depth + 1));
            }
        }

        return root;
    }
}
