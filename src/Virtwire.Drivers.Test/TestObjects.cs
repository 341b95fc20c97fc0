using System.Xml.Linq;
using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Test;

/// <summary>A domain of the in-memory hypervisor. Guarded by its <see cref="TestState"/>'s lock.</summary>
internal sealed class TestDomain
{
    public required string Name { get; set; }

    public XdrUuid Uuid { get; init; }

    public int Id { get; set; } = -1;

    public DomainState State { get; set; } = DomainState.Shutoff;

    public int Reason { get; set; }

    public ulong MaxMemoryKiB { get; set; }

    public ulong MemoryKiB { get; set; }

    public int Vcpus { get; set; }

    public int MaxVcpus { get; set; }

    public string OsType { get; set; } = "hvm";

    public string Arch { get; set; } = "i686";

    public bool Persistent { get; set; }

    public bool Autostart { get; set; }

    public string? Title { get; set; }

    public string? Description { get; set; }

    /// <summary>The device elements, in document order, formatted as libvirt prints them.</summary>
    public List<XElement> Devices { get; set; } = [];

    public bool IsActive => Id >= 0;

    public DomainRef Ref => new(Name, Uuid, Id);
}

internal sealed class TestNetwork
{
    public required string Name { get; init; }

    public XdrUuid Uuid { get; init; }

    public bool Active { get; set; }

    public bool Persistent { get; set; } = true;

    public bool Autostart { get; set; }

    public string Bridge { get; set; } = string.Empty;

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

    public StoragePoolRef Ref => new(Name, Uuid);
}
