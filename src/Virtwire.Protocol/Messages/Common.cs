using Virtwire.Xdr;

namespace Virtwire.Protocol;

// Shapes shared by many procedures. libvirt declares one struct per procedure; where those
// structs have identical fields the encoding is identical, so one record serves them all.

/// <summary>Only flags.</summary>
[XdrStruct]
public sealed partial record FlagsArgs
{
    public uint Flags { get; init; }
}

/// <summary>A single int result (num, active, persistent, autostart, supported, …).</summary>
[XdrStruct]
public sealed partial record IntRet
{
    public int Value { get; init; }
}

/// <summary>A single unsigned hyper result (versions, memory).</summary>
[XdrStruct]
public sealed partial record ULongRet
{
    public ulong Value { get; init; }
}

/// <summary>A single string result (type, hostname, URI, XML, capabilities, …).</summary>
[XdrStruct]
public sealed partial record StringRet
{
    public required string Value { get; init; }
}

/// <summary>A single string argument (XML, name).</summary>
[XdrStruct]
public sealed partial record StringArgs
{
    public required string Value { get; init; }
}

/// <summary>A string and flags (XML with flags).</summary>
[XdrStruct]
public sealed partial record StringFlagsArgs
{
    public required string Value { get; init; }

    public uint Flags { get; init; }
}

/// <summary>A UUID argument (lookup by UUID).</summary>
[XdrStruct]
public sealed partial record UuidArgs
{
    public XdrUuid Uuid { get; init; }
}

/// <summary>An int argument (lookup by id, maxnames, event id, callback id, feature).</summary>
[XdrStruct]
public sealed partial record IntArgs
{
    public int Value { get; init; }
}

/// <summary>A list of names (legacy list calls).</summary>
[XdrStruct]
public sealed partial record NamesRet
{
    [XdrMax(RemoteLimits.DomainList)]
    public required string[] Names { get; init; }
}

/// <summary>need_results and flags (list-all calls).</summary>
[XdrStruct]
public sealed partial record ListAllArgs
{
    public int NeedResults { get; init; }

    public uint Flags { get; init; }
}
