using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

/// <summary>
/// A domain of the in-memory hypervisor. Guarded by its <see cref="TestState"/>'s lock.
/// Like libvirt, a running persistent domain has two definitions: the live one and the
/// persistent configuration that takes over when it stops.
/// </summary>
internal sealed class TestDomain
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }

    public int Id { get; set; } = -1;

    public DomainState State { get; set; } = DomainState.Shutoff;

    public int Reason { get; set; }

    public bool Autostart { get; set; }

    /// <summary>
    /// True while running without a separate persistent definition (started transient): libvirt then keeps
    /// the id in the stopped event, where a domain started persistent reports -1.
    /// </summary>
    public bool KeepsIdOnStop { get; set; }

    /// <summary>The persistent definition; null for a transient domain.</summary>
    public DomainDef? Config { get; set; }

    /// <summary>The running definition; null while the domain is shut off.</summary>
    public DomainDef? Live { get; set; }

    public bool Persistent => Config is not null;

    public bool IsActive => Id >= 0;

    /// <summary>The definition libvirt calls <c>vm->def</c>: live while running, the configuration otherwise.</summary>
    public DomainDef Def => Live ?? Config!;

    public DomainRef Ref => new(Name, Uuid, Id);
}

/// <summary>What a domain's XML describes, as far as the test driver keeps it.</summary>
internal sealed class DomainDef
{
    public string Type { get; set; } = "test";

    public ulong MaxMemoryKiB { get; set; }

    public ulong MemoryKiB { get; set; }

    public int Vcpus { get; set; }

    public int MaxVcpus { get; set; }

    public string OsType { get; set; } = "hvm";

    public string Arch { get; set; } = "i686";

    public string? Machine { get; set; }

    /// <summary>The other children of <c>&lt;os&gt;</c> (boot, kernel, ...), as given.</summary>
    public List<XElement> OsChildren { get; set; } = [];

    public string? Title { get; set; }

    public string? Description { get; set; }

    /// <summary>Custom metadata elements, each in its own namespace.</summary>
    public List<XElement> Metadata { get; set; } = [];

    public XElement? Features { get; set; }

    public XElement? Cpu { get; set; }

    public XElement? Clock { get; set; }

    public string OnPoweroff { get; set; } = "destroy";

    public string OnReboot { get; set; } = "restart";

    public string OnCrash { get; set; } = "destroy";

    /// <summary>The device elements, in document order, formatted as libvirt prints them.</summary>
    public List<XElement> Devices { get; set; } = [];

    public DomainDef Clone() => new()
    {
        Type = Type,
        MaxMemoryKiB = MaxMemoryKiB,
        MemoryKiB = MemoryKiB,
        Vcpus = Vcpus,
        MaxVcpus = MaxVcpus,
        OsType = OsType,
        Arch = Arch,
        Machine = Machine,
        OsChildren = [.. OsChildren.Select(e => new XElement(e))],
        Title = Title,
        Description = Description,
        Metadata = [.. Metadata.Select(e => new XElement(e))],
        Features = Features is null ? null : new XElement(Features),
        Cpu = Cpu is null ? null : new XElement(Cpu),
        Clock = Clock is null ? null : new XElement(Clock),
        OnPoweroff = OnPoweroff,
        OnReboot = OnReboot,
        OnCrash = OnCrash,
        Devices = [.. Devices.Select(e => new XElement(e))],
    };
}

internal sealed class TestNetwork
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }

    public bool Active { get; set; }

    public bool Persistent { get; set; } = true;

    public bool Autostart { get; set; }

    public string? Bridge { get; set; }

    public required XElement Xml { get; set; }

    public NetworkRef Ref => new(Name, Uuid);
}

internal sealed class TestPool
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }

    public bool Active { get; set; }

    public bool Persistent { get; set; } = true;

    public bool Autostart { get; set; }

    public ulong Capacity { get; set; }

    public ulong Allocation { get; set; }

    public ulong Available { get; set; }

    public required XElement Xml { get; set; }

    public string TargetPath => ((string?)Xml.Element("target")?.Element("path"))?.Trim() ?? string.Empty;

    public List<TestVolume> Volumes { get; } = [];

    public StoragePoolRef Ref => new(Name, Uuid);
}

internal sealed class TestVolume
{
    public required string Name { get; init; }

    public required string Key { get; init; }

    public required string Path { get; init; }

    public ulong Capacity { get; set; }

    public ulong Allocation { get; set; }

    public string Format { get; set; } = "raw";

    public StorageVolRef Ref(TestPool pool) => new(pool.Name, Name, Key);
}
