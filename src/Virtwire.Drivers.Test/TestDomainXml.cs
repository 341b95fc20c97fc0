using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

/// <summary>Reads a domain definition the way libvirt's test driver accepts it, and prints it the way libvirt dumps it.</summary>
internal static class TestDomainXml
{
    // libvirt prints devices grouped by kind, in this order, whatever order they were given in.
    private static readonly string[] DeviceOrder =
    [
        "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel", "console",
        "channel", "input", "tpm", "graphics", "sound", "audio", "video", "hostdev", "redirdev", "redirfilter", "hub",
        "watchdog", "memballoon", "rng", "panic", "shmem", "memory", "iommu", "vsock", "crypto",
    ];

    public static (string Name, XdrUuid Uuid, DomainDef Def) Parse(string xml)
    {
        var root = LibvirtXml.Parse(xml, "domain_definition", VirtErrorDomain.Domain);
        return Parse(root);
    }

    public static (string Name, XdrUuid Uuid, DomainDef Def) Parse(XElement root)
    {
        if (root.Name.LocalName != "domain")
        {
            var detail = $"expecting root element of 'domain', not '{root.Name.LocalName}'";
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Xml, "XML error: " + detail, "XML error: %s", detail);
        }

        var name = ((string?)root.Element("name"))?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.NoName, VirtErrorDomain.Domain, "missing name information");
        }

        var uuid = XdrUuid.NewRandom();
        var uuidText = (string?)root.Element("uuid");
        if (uuidText is not null && !XdrUuid.TryParse(uuidText.Trim(), out uuid))
        {
            throw Error(VirtErrorCode.InternalError, "internal error: ", "malformed uuid element");
        }

        var memory = LibvirtXml.ParseKiB(root.Element("memory"), 0);
        var current = LibvirtXml.ParseKiB(root.Element("currentMemory"), 0);

        var vcpu = root.Element("vcpu");
        var maxVcpus = ParseCount((string?)vcpu) ?? 1;
        var vcpus = ParseCount((string?)vcpu?.Attribute("current")) ?? maxVcpus;
        if (vcpus > maxVcpus)
        {
            throw Error(VirtErrorCode.ConfigUnsupported, "unsupported configuration: ", "maximum vCPU count must not be less than current vCPU count");
        }

        var os = root.Element("os");
        var type = os?.Element("type");
        var osType = ((string?)type)?.Trim();
        if (string.IsNullOrEmpty(osType))
        {
            throw Error(VirtErrorCode.XmlError, "XML error: ", "an os <type> must be specified");
        }

        if (memory == 0)
        {
            throw Error(VirtErrorCode.XmlError, "XML error: ", "Memory size must be specified via <memory> or in the <numa> configuration");
        }

        var def = new DomainDef
        {
            Type = (string?)root.Attribute("type") ?? "test",
            MaxMemoryKiB = memory,
            MemoryKiB = current == 0 || current > memory ? memory : current,
            MaxVcpus = maxVcpus,
            Vcpus = vcpus,
            OsType = osType,
            Arch = (string?)type!.Attribute("arch") ?? "i686",
            Machine = (string?)type.Attribute("machine"),
            OsChildren = [.. os!.Elements().Where(e => e.Name.LocalName != "type").Select(e => new XElement(e))],
            Title = (string?)root.Element("title"),
            Description = (string?)root.Element("description"),
            Metadata = [.. root.Element("metadata")?.Elements().Select(LibvirtXml.DetachWithNamespace) ?? []],
            Features = Copy(root.Element("features")),
            Cpu = Copy(root.Element("cpu")),
            Clock = Copy(root.Element("clock")),
            OnPoweroff = Text(root.Element("on_poweroff")) ?? "destroy",
            OnReboot = Text(root.Element("on_reboot")) ?? "restart",
            OnCrash = Text(root.Element("on_crash")) ?? "destroy",
            Devices = [.. (root.Element("devices")?.Elements() ?? []).Select(e => new XElement(e))
                .OrderBy(e => Array.IndexOf(DeviceOrder, e.Name.LocalName) is var i && i < 0 ? DeviceOrder.Length : i)],
        };
        FillInterfaces(def.Devices);
        return (name, uuid, def);
    }

    private static XElement? Copy(XElement? element) => element is null ? null : new XElement(element);

    private static string? Text(XElement? element) => ((string?)element)?.Trim() is { Length: > 0 } text ? text : null;

    private static int? ParseCount(string? text) =>
        int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;

    private static RpcRemoteException Error(VirtErrorCode code, string prefix, string detail) =>
        DriverErrors.Create(code, VirtErrorDomain.Domain, prefix + detail, prefix + "%s", detail);

    /// <summary>Gives every interface a MAC address (52:54:00:…) and a host-side name (testnetN), as libvirt's test driver does.</summary>
    private static void FillInterfaces(List<XElement> devices)
    {
        var interfaces = devices.Where(d => d.Name.LocalName == "interface").ToList();
        var used = interfaces.Select(i => (string?)i.Element("target")?.Attribute("dev")).Where(n => n is not null).ToHashSet(StringComparer.Ordinal);
        Span<byte> random = stackalloc byte[3];
        foreach (var nic in interfaces)
        {
            if (nic.Element("mac") is null)
            {
                RandomNumberGenerator.Fill(random);
                nic.AddFirst(new XElement("mac", new XAttribute("address", $"52:54:00:{random[0]:x2}:{random[1]:x2}:{random[2]:x2}")));
            }

            if (nic.Element("target") is null)
            {
                var counter = 0;
                while (used.Contains($"testnet{counter}"))
                {
                    counter++;
                }

                var ifname = $"testnet{counter}";
                used.Add(ifname);
                var target = new XElement("target", new XAttribute("dev", ifname));
                (nic.Element("source") ?? nic.Element("mac")!).AddAfterSelf(target);
            }
        }
    }

    /// <summary>Formats a domain the way libvirt's test driver dumps it.</summary>
    public static string Format(TestDomain domain, DomainDef d, bool withId)
    {
        var b = new StringBuilder();
        b.Append("<domain type='").Append(LibvirtXml.Escape(d.Type, true)).Append('\'');
        if (withId)
        {
            b.Append(" id='").Append(domain.Id.ToString(CultureInfo.InvariantCulture)).Append('\'');
        }

        b.Append(">\n");
        b.Append("  <name>").Append(LibvirtXml.Escape(domain.Name, false)).Append("</name>\n");
        b.Append("  <uuid>").Append(domain.Uuid.ToString()).Append("</uuid>\n");
        if (d.Title is not null)
        {
            b.Append("  <title>").Append(LibvirtXml.Escape(d.Title, false)).Append("</title>\n");
        }

        if (d.Description is not null)
        {
            b.Append("  <description>").Append(LibvirtXml.Escape(d.Description, false)).Append("</description>\n");
        }

        if (d.Metadata.Count > 0)
        {
            b.Append("  <metadata>\n");
            foreach (var element in d.Metadata)
            {
                LibvirtXml.FormatForeign(b, element, 4);
            }

            b.Append("  </metadata>\n");
        }

        b.Append("  <memory unit='KiB'>").Append(d.MaxMemoryKiB.ToString(CultureInfo.InvariantCulture)).Append("</memory>\n");
        b.Append("  <currentMemory unit='KiB'>").Append(d.MemoryKiB.ToString(CultureInfo.InvariantCulture)).Append("</currentMemory>\n");
        b.Append("  <vcpu placement='static'");
        if (d.Vcpus != d.MaxVcpus)
        {
            b.Append(" current='").Append(d.Vcpus.ToString(CultureInfo.InvariantCulture)).Append('\'');
        }

        b.Append('>').Append(d.MaxVcpus.ToString(CultureInfo.InvariantCulture)).Append("</vcpu>\n");
        b.Append("  <os>\n");
        b.Append("    <type arch='").Append(LibvirtXml.Escape(d.Arch, true)).Append('\'');
        if (d.Machine is not null)
        {
            b.Append(" machine='").Append(LibvirtXml.Escape(d.Machine, true)).Append('\'');
        }

        b.Append('>').Append(LibvirtXml.Escape(d.OsType, false)).Append("</type>\n");
        if (d.OsChildren.Count == 0 && d.OsType == "hvm")
        {
            b.Append("    <boot dev='hd'/>\n");
        }

        foreach (var child in d.OsChildren)
        {
            LibvirtXml.Format(b, child, 4);
        }

        b.Append("  </os>\n");
        if (d.Features is not null)
        {
            LibvirtXml.Format(b, d.Features, 2);
        }

        if (d.Cpu is not null)
        {
            LibvirtXml.Format(b, d.Cpu, 2);
        }

        if (d.Clock is not null)
        {
            LibvirtXml.Format(b, d.Clock, 2);
        }
        else
        {
            b.Append("  <clock offset='utc'/>\n");
        }

        // The lifecycle actions are the definer's text, so they are escaped like every other value: written raw,
        // an '&amp;' in them made a dump that no longer parses (found by the domain-xml fuzz target, issue 8).
        b.Append("  <on_poweroff>").Append(LibvirtXml.Escape(d.OnPoweroff, false)).Append("</on_poweroff>\n");
        b.Append("  <on_reboot>").Append(LibvirtXml.Escape(d.OnReboot, false)).Append("</on_reboot>\n");
        b.Append("  <on_crash>").Append(LibvirtXml.Escape(d.OnCrash, false)).Append("</on_crash>\n");
        b.Append("  <devices>\n");
        foreach (var device in d.Devices)
        {
            LibvirtXml.Format(b, device, 4);
        }

        b.Append("  </devices>\n");
        b.Append("</domain>\n");
        return b.ToString();
    }
}
