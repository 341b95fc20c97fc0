using System.Globalization;
using System.Security.Cryptography;
using System.Xml;
using System.Xml.Linq;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Qemu;

internal sealed record QemuDisk(string Device, string Format, string? Source, string Target, string Bus, bool ReadOnly, int? BootOrder);

internal sealed record QemuInterface(string Type, string? Source, string Mac, string Model);

internal sealed record QemuGraphics(string Type, int Port, bool AutoPort, string Listen);

/// <summary>
/// The subset of libvirt's domain XML the QEMU driver runs (see docs/qemu-driver.md), parsed strictly: an element or
/// device outside the subset is refused with libvirt's "unsupported configuration" error rather than ignored.
/// </summary>
internal sealed record QemuDomainDefinition
{
    public required string Type { get; init; }

    public required string Name { get; init; }

    public required XdrUuid Uuid { get; init; }

    public string? Title { get; init; }

    public string? Description { get; init; }

    public XElement? Metadata { get; init; }

    public required ulong MemoryKiB { get; init; }

    public required ulong CurrentMemoryKiB { get; init; }

    public required int Vcpus { get; init; }

    public string Arch { get; init; } = "x86_64";

    public string Machine { get; init; } = "pc";

    public string? Kernel { get; init; }

    public string? Initrd { get; init; }

    public string? Cmdline { get; init; }

    public IReadOnlyList<string> Boot { get; init; } = [];

    public bool Acpi { get; init; }

    public bool Apic { get; init; }

    public string? CpuMode { get; init; }

    public string OnPoweroff { get; init; } = "destroy";

    public string OnReboot { get; init; } = "restart";

    public string OnCrash { get; init; } = "destroy";

    public string? Emulator { get; init; }

    public IReadOnlyList<QemuDisk> Disks { get; init; } = [];

    public IReadOnlyList<QemuInterface> Interfaces { get; init; } = [];

    /// <summary>Serial ports (all pty); console 0 is serial 0, as libvirt pairs them.</summary>
    public int Serials { get; init; }

    public IReadOnlyList<QemuGraphics> Graphics { get; init; } = [];

    public bool Balloon { get; init; } = true;

    private static readonly HashSet<string> TopLevel =
    [
        "name", "uuid", "title", "description", "metadata", "memory", "currentMemory", "vcpu", "os", "features", "cpu", "clock",
        "on_poweroff", "on_reboot", "on_crash", "devices", "pm", "resource", "genid",
    ];

    public static QemuDomainDefinition Parse(string xml)
    {
        XElement root;
        try
        {
            root = DriverXml.Parse(xml, LoadOptions.None);
        }
        catch (XmlException ex)
        {
            throw Errors.XmlError(ex.Message);
        }

        if (root.Name.LocalName != "domain")
        {
            throw Errors.XmlError($"unexpected root element <{root.Name.LocalName}>, expecting <domain>");
        }

        var type = (string?)root.Attribute("type") ?? throw Errors.XmlError("missing domain type attribute");
        if (type is not ("qemu" or "kvm"))
        {
            throw DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Domain,
                $"invalid argument: unsupported hypervisor type '{type}' (this driver runs 'qemu' and 'kvm')", "invalid argument: %s");
        }

        foreach (var element in root.Elements())
        {
            if (!TopLevel.Contains(element.Name.LocalName))
            {
                throw Errors.Unsupported($"element <{element.Name.LocalName}> is not supported by this QEMU driver");
            }
        }

        var name = ((string?)root.Element("name"))?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            throw DriverErrors.Create(VirtErrorCode.NoName, VirtErrorDomain.Domain, "missing name information", "%s");
        }

        if (name.Contains('/', StringComparison.Ordinal) || name.StartsWith('.'))
        {
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Domain,
                $"XML error: name {name} cannot contain '/'", "XML error: %s");
        }

        XdrUuid uuid;
        var uuidText = (string?)root.Element("uuid");
        if (uuidText is null)
        {
            uuid = XdrUuid.NewRandom();
        }
        else if (!XdrUuid.TryParse(uuidText.Trim(), out uuid))
        {
            throw Errors.XmlError($"malformed uuid element");
        }

        var memory = ParseMemory(root.Element("memory")) ?? throw Errors.XmlError("missing memory element");
        if (memory == 0)
        {
            throw DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Domain,
                "XML error: Memory size must be specified via <memory> or in the <numa> configuration", "XML error: %s");
        }

        var current = ParseMemory(root.Element("currentMemory")) ?? memory;
        if (current > memory)
        {
            current = memory;
        }

        var vcpus = 1;
        if (root.Element("vcpu") is { } vcpu && !int.TryParse(vcpu.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out vcpus))
        {
            throw Errors.XmlError("maximum vcpus count must be an integer");
        }

        if (vcpus < 1)
        {
            throw Errors.XmlError("Invalid value for vcpu, must be greater than 0");
        }

        var os = root.Element("os") ?? throw Errors.XmlError("missing <os> element");
        var osType = os.Element("type");
        if (osType is null || osType.Value.Trim() != "hvm")
        {
            throw DriverErrors.Create(VirtErrorCode.OsType, VirtErrorDomain.Domain,
                $"unsupported configuration: no guest os type '{osType?.Value.Trim() ?? ""}' in this QEMU driver (only 'hvm')", "%s");
        }

        var arch = (string?)osType.Attribute("arch") ?? "x86_64";
        if (arch != "x86_64")
        {
            throw Errors.Unsupported($"guest architecture '{arch}' is not supported (only x86_64)");
        }

        foreach (var element in os.Elements())
        {
            if (element.Name.LocalName is not ("type" or "kernel" or "initrd" or "cmdline" or "boot" or "bootmenu"))
            {
                throw Errors.Unsupported($"<os> element <{element.Name.LocalName}> is not supported by this QEMU driver");
            }
        }

        var boot = os.Elements("boot").Select(b => (string?)b.Attribute("dev") ?? "hd").ToList();
        foreach (var dev in boot)
        {
            if (dev is not ("hd" or "cdrom" or "network" or "fd"))
            {
                throw Errors.XmlError($"unknown boot device '{dev}'");
            }
        }

        var features = root.Element("features");
        var cpuMode = (string?)root.Element("cpu")?.Attribute("mode");
        if (cpuMode is not (null or "host-passthrough" or "host-model" or "custom"))
        {
            throw Errors.Unsupported($"CPU mode '{cpuMode}' is not supported");
        }

        var definition = new QemuDomainDefinition
        {
            Type = type,
            Name = name,
            Uuid = uuid,
            Title = (string?)root.Element("title"),
            Description = (string?)root.Element("description"),
            Metadata = root.Element("metadata") is { } metadata ? new XElement(metadata) : null,
            MemoryKiB = memory,
            CurrentMemoryKiB = current,
            Vcpus = vcpus,
            Arch = arch,
            Machine = (string?)osType.Attribute("machine") ?? "pc",
            Kernel = NullIfEmpty((string?)os.Element("kernel")),
            Initrd = NullIfEmpty((string?)os.Element("initrd")),
            Cmdline = NullIfEmpty((string?)os.Element("cmdline")),
            Boot = boot,
            Acpi = features?.Element("acpi") is not null,
            Apic = features?.Element("apic") is not null,
            CpuMode = cpuMode,
            OnPoweroff = Lifecycle(root, "on_poweroff", "destroy", ["destroy"]),
            OnReboot = Lifecycle(root, "on_reboot", "restart", ["restart", "destroy"]),
            OnCrash = Lifecycle(root, "on_crash", "destroy", ["destroy"]),
        };

        return ParseDevices(definition, root.Element("devices"));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Lifecycle(XElement root, string element, string fallback, string[] allowed)
    {
        var value = ((string?)root.Element(element))?.Trim() ?? fallback;
        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            throw Errors.Unsupported($"{element} action '{value}' is not supported by this QEMU driver");
        }

        return value;
    }

    private static QemuDomainDefinition ParseDevices(QemuDomainDefinition definition, XElement? devices)
    {
        if (devices is null)
        {
            return definition;
        }

        string? emulator = null;
        var disks = new List<QemuDisk>();
        var interfaces = new List<QemuInterface>();
        var graphics = new List<QemuGraphics>();
        var serials = 0;
        var consoles = 0;
        var balloon = true;
        foreach (var device in devices.Elements())
        {
            switch (device.Name.LocalName)
            {
                case "emulator":
                    emulator = NullIfEmpty(device.Value);
                    break;
                case "disk":
                    disks.Add(ParseDisk(device, disks));
                    break;
                case "interface":
                    interfaces.Add(ParseInterface(device));
                    break;
                case "serial":
                    RequirePty(device, "serial");
                    serials++;
                    break;
                case "console":
                    RequirePty(device, "console");
                    var targetType = (string?)device.Element("target")?.Attribute("type") ?? "serial";
                    if (targetType != "serial")
                    {
                        throw Errors.Unsupported($"console target type '{targetType}' is not supported (only 'serial')");
                    }

                    consoles++;
                    break;
                case "graphics":
                    graphics.Add(ParseGraphics(device));
                    break;
                case "memballoon":
                    var model = (string?)device.Attribute("model") ?? "virtio";
                    if (model is not ("virtio" or "none"))
                    {
                        throw Errors.Unsupported($"memballoon model '{model}' is not supported");
                    }

                    balloon = model == "virtio";
                    break;
                case "input" or "controller" or "video":
                    // Accepted and left to QEMU's machine defaults (PS/2 input, built-in IDE/PCI controllers, VGA).
                    break;
                default:
                    throw Errors.Unsupported($"device <{device.Name.LocalName}> is not supported by this QEMU driver");
            }
        }

        return definition with
        {
            Emulator = emulator,
            Disks = disks,
            Interfaces = interfaces,
            Graphics = graphics,
            Serials = Math.Max(serials, consoles > 0 ? 1 : 0),
            Balloon = balloon,
        };
    }

    private static void RequirePty(XElement device, string kind)
    {
        var type = (string?)device.Attribute("type") ?? "pty";
        if (type != "pty")
        {
            throw Errors.Unsupported($"{kind} type '{type}' is not supported (only 'pty')");
        }
    }

    private static QemuDisk ParseDisk(XElement disk, List<QemuDisk> earlier)
    {
        var type = (string?)disk.Attribute("type") ?? "file";
        if (type != "file")
        {
            throw Errors.Unsupported($"disk type '{type}' is not supported (only 'file')");
        }

        var device = (string?)disk.Attribute("device") ?? "disk";
        if (device is not ("disk" or "cdrom"))
        {
            throw Errors.Unsupported($"disk device '{device}' is not supported (only 'disk' and 'cdrom')");
        }

        var format = (string?)disk.Element("driver")?.Attribute("type") ?? "raw";
        if (format is not ("raw" or "qcow2"))
        {
            throw Errors.Unsupported($"disk format '{format}' is not supported (only 'raw' and 'qcow2')");
        }

        var source = NullIfEmpty((string?)disk.Element("source")?.Attribute("file"));
        if (source is null && device == "disk")
        {
            throw Errors.XmlError("missing source file for disk");
        }

        var targetElement = disk.Element("target") ?? throw Errors.XmlError("missing target information for device");
        var target = (string?)targetElement.Attribute("dev") ?? throw Errors.XmlError("missing target information for device");
        var bus = (string?)targetElement.Attribute("bus") ?? (target.StartsWith("vd", StringComparison.Ordinal) ? "virtio"
            : target.StartsWith("sd", StringComparison.Ordinal) ? "sata" : "ide");
        if (bus is not ("virtio" or "ide" or "sata"))
        {
            throw Errors.Unsupported($"disk bus '{bus}' is not supported (only virtio, ide and sata)");
        }

        if (device == "cdrom" && bus == "virtio")
        {
            throw Errors.Unsupported($"disk type of '{target}' does not support ejectable media");
        }

        var readOnly = device == "cdrom" || disk.Element("readonly") is not null;
        if (readOnly && device == "disk" && bus is "ide" or "sata")
        {
            throw Errors.Unsupported($"readonly {bus} disks are not supported");
        }

        if (earlier.Any(d => d.Target == target))
        {
            throw Errors.XmlError($"target '{target}' duplicated for disk sources");
        }

        int? order = null;
        if (disk.Element("boot")?.Attribute("order") is { } o)
        {
            order = int.TryParse(o.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw Errors.XmlError($"incorrect boot order '{o.Value}', expecting positive integer");
        }

        return new QemuDisk(device, format, source, target, bus, readOnly, order);
    }

    private static QemuInterface ParseInterface(XElement element)
    {
        var type = (string?)element.Attribute("type") ?? "user";
        string? source = null;
        switch (type)
        {
            case "user":
                break;
            case "bridge":
                source = (string?)element.Element("source")?.Attribute("bridge") ?? throw Errors.XmlError("No <source> 'bridge' attribute specified with <interface type='bridge'/>");
                break;
            case "ethernet":
                source = (string?)element.Element("target")?.Attribute("dev");
                break;
            default:
                throw Errors.Unsupported($"interface type '{type}' is not supported (only user, bridge and ethernet)");
        }

        var mac = (string?)element.Element("mac")?.Attribute("address") ?? RandomMac();
        var model = (string?)element.Element("model")?.Attribute("type") ?? "virtio";
        if (model is not ("virtio" or "e1000" or "rtl8139"))
        {
            throw Errors.Unsupported($"interface model '{model}' is not supported");
        }

        return new QemuInterface(type, source, mac.ToLowerInvariant(), model);
    }

    private static string RandomMac()
    {
        var bytes = RandomNumberGenerator.GetBytes(3);
        return $"52:54:00:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}";
    }

    private static QemuGraphics ParseGraphics(XElement element)
    {
        var type = (string?)element.Attribute("type") ?? "";
        if (type != "vnc")
        {
            throw Errors.Unsupported($"graphics type '{type}' is not supported (only 'vnc')");
        }

        // Not an (int?) cast: that threw FormatException on port='yes', which reached the client as an internal
        // error instead of libvirt's XML error (found by the domain-xml fuzz target, issue 8).
        var portText = (string?)element.Attribute("port");
        var port = -1;
        if (portText is not null && !int.TryParse(portText, NumberStyles.AllowLeadingWhite | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out port))
        {
            throw Errors.XmlError($"Invalid value for attribute 'port' in element 'graphics': '{portText}'.");
        }

        var autoport = (string?)element.Attribute("autoport") == "yes" || port == -1;
        var listen = (string?)element.Attribute("listen") ?? (string?)element.Element("listen")?.Attribute("address") ?? "127.0.0.1";
        return new QemuGraphics(type, autoport ? -1 : port, autoport, listen);
    }

    /// <summary>memory/currentMemory in KiB, honouring libvirt's unit attribute.</summary>
    private static ulong? ParseMemory(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        if (!ulong.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw Errors.XmlError($"invalid value '{element.Value.Trim()}' for element '{element.Name.LocalName}'");
        }

        var unit = (string?)element.Attribute("unit") ?? "KiB";
        var bytes = XmlSizeUnits.ToBytes(value, unit) ?? throw Errors.XmlError($"unknown unit '{unit}'");

        return (bytes + 1023) / 1024;
    }

    /// <summary>libvirt's XML for this definition; <paramref name="live"/> adds the id, pty paths and VNC port of a running domain.</summary>
    public string Format(QemuRuntime? live, bool inactive)
    {
        var root = new XElement("domain", new XAttribute("type", Type));
        if (live is not null && !inactive)
        {
            root.Add(new XAttribute("id", live.Id));
        }

        root.Add(new XElement("name", Name), new XElement("uuid", Uuid.ToString()));
        if (Title is not null)
        {
            root.Add(new XElement("title", Title));
        }

        if (Description is not null)
        {
            root.Add(new XElement("description", Description));
        }

        if (Metadata is not null)
        {
            root.Add(new XElement(Metadata));
        }

        root.Add(
            new XElement("memory", new XAttribute("unit", "KiB"), MemoryKiB),
            new XElement("currentMemory", new XAttribute("unit", "KiB"), CurrentMemoryKiB),
            new XElement("vcpu", new XAttribute("placement", "static"), Vcpus));
        var os = new XElement("os", new XElement("type", new XAttribute("arch", Arch), new XAttribute("machine", Machine), "hvm"));
        AddIf(os, "kernel", Kernel);
        AddIf(os, "initrd", Initrd);
        AddIf(os, "cmdline", Cmdline);
        foreach (var dev in Boot.Count > 0 || Kernel is not null || Disks.Any(d => d.BootOrder is not null) ? Boot : ["hd"])
        {
            os.Add(new XElement("boot", new XAttribute("dev", dev)));
        }

        root.Add(os);
        if (Acpi || Apic)
        {
            var features = new XElement("features");
            if (Acpi)
            {
                features.Add(new XElement("acpi"));
            }

            if (Apic)
            {
                features.Add(new XElement("apic"));
            }

            root.Add(features);
        }

        if (CpuMode is not null)
        {
            root.Add(new XElement("cpu", new XAttribute("mode", CpuMode)));
        }

        root.Add(
            new XElement("clock", new XAttribute("offset", "utc")),
            new XElement("on_poweroff", OnPoweroff),
            new XElement("on_reboot", OnReboot),
            new XElement("on_crash", OnCrash));
        var devices = new XElement("devices", new XElement("emulator", Emulator ?? QemuDriverOptions.DefaultEmulator));
        foreach (var disk in Disks)
        {
            var element = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", disk.Device),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", disk.Format)));
            if (disk.Source is not null)
            {
                element.Add(new XElement("source", new XAttribute("file", disk.Source)));
            }

            element.Add(new XElement("target", new XAttribute("dev", disk.Target), new XAttribute("bus", disk.Bus)));
            if (disk.BootOrder is { } order)
            {
                element.Add(new XElement("boot", new XAttribute("order", order)));
            }

            if (disk.ReadOnly)
            {
                element.Add(new XElement("readonly"));
            }

            devices.Add(element);
        }

        foreach (var nic in Interfaces)
        {
            var element = new XElement("interface", new XAttribute("type", nic.Type), new XElement("mac", new XAttribute("address", nic.Mac)));
            if (nic.Type == "bridge")
            {
                element.Add(new XElement("source", new XAttribute("bridge", nic.Source!)));
            }
            else if (nic.Type == "ethernet" && nic.Source is not null)
            {
                element.Add(new XElement("target", new XAttribute("dev", nic.Source)));
            }

            element.Add(new XElement("model", new XAttribute("type", nic.Model)));
            devices.Add(element);
        }

        for (var port = 0; port < Serials; port++)
        {
            var pty = live is not null && !inactive && port < live.Ptys.Count ? live.Ptys[port] : null;
            var serial = new XElement("serial", new XAttribute("type", "pty"));
            if (pty is not null)
            {
                serial.Add(new XElement("source", new XAttribute("path", pty)));
            }

            serial.Add(new XElement("target", new XAttribute("port", port)));
            devices.Add(serial);
            if (port == 0)
            {
                var console = new XElement("console", new XAttribute("type", "pty"));
                if (pty is not null)
                {
                    console.Add(new XAttribute("tty", pty), new XElement("source", new XAttribute("path", pty)));
                }

                console.Add(new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", 0)));
                devices.Add(console);
            }
        }

        foreach (var g in Graphics)
        {
            var port = live is not null && !inactive && live.VncPort > 0 ? live.VncPort : g.Port;
            devices.Add(new XElement("graphics", new XAttribute("type", g.Type), new XAttribute("port", port),
                new XAttribute("autoport", g.AutoPort ? "yes" : "no"), new XAttribute("listen", g.Listen),
                new XElement("listen", new XAttribute("type", "address"), new XAttribute("address", g.Listen))));
        }

        devices.Add(new XElement("memballoon", new XAttribute("model", Balloon ? "virtio" : "none")));
        root.Add(devices);
        return root.ToString() + "\n";
    }

    private static void AddIf(XElement parent, string name, string? value)
    {
        if (value is not null)
        {
            parent.Add(new XElement(name, value));
        }
    }
}

/// <summary>libvirt's errors as the QEMU driver raises them (error domain QEMU unless the checks are generic).</summary>
internal static class Errors
{
    public static RpcRemoteException XmlError(string detail) =>
        DriverErrors.Create(VirtErrorCode.XmlError, VirtErrorDomain.Domain, "XML error: " + detail, "XML error: %s", detail);

    public static RpcRemoteException Unsupported(string detail) =>
        DriverErrors.Create(VirtErrorCode.ConfigUnsupported, VirtErrorDomain.Qemu, "unsupported configuration: " + detail, "unsupported configuration: %s", detail);

    public static RpcRemoteException NoDomainName(string name) =>
        DriverErrors.Create(VirtErrorCode.NoDomain, VirtErrorDomain.Qemu, $"Domain not found: no domain with matching name '{name}'", "Domain not found: %s",
            $"no domain with matching name '{name}'");

    public static RpcRemoteException NoDomainUuid(XdrUuid uuid) =>
        DriverErrors.Create(VirtErrorCode.NoDomain, VirtErrorDomain.Qemu, $"Domain not found: no domain with matching uuid '{uuid}'", "Domain not found: %s",
            $"no domain with matching uuid '{uuid}'");

    public static RpcRemoteException NoDomainId(int id) =>
        DriverErrors.Create(VirtErrorCode.NoDomain, VirtErrorDomain.Qemu, $"Domain not found: no domain with matching id {id}", "Domain not found: %s",
            $"no domain with matching id {id}");

    public static RpcRemoteException Invalid(string detail) =>
        DriverErrors.Create(VirtErrorCode.OperationInvalid, VirtErrorDomain.Qemu, "Requested operation is not valid: " + detail,
            "Requested operation is not valid: %s", detail);

    public static RpcRemoteException NotRunning() => Invalid("domain is not running");

    public static RpcRemoteException Failed(string detail) =>
        DriverErrors.Create(VirtErrorCode.OperationFailed, VirtErrorDomain.Qemu, "operation failed: " + detail, "operation failed: %s", detail);

    public static RpcRemoteException Internal(string detail) =>
        DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Qemu, "internal error: " + detail, "internal error: %s", detail);

    public static RpcRemoteException InvalidArg(string detail) =>
        DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Qemu, "invalid argument: " + detail, "invalid argument: %s", detail);
}
