using Virtwire.Xdr;

namespace Virtwire.Protocol;

/// <summary>Just a domain handle.</summary>
[XdrStruct]
public sealed partial record DomainArgs
{
    public required RemoteDomain Dom { get; init; }
}

/// <summary>A domain handle and flags.</summary>
[XdrStruct]
public sealed partial record DomainFlagsArgs
{
    public required RemoteDomain Dom { get; init; }

    public uint Flags { get; init; }
}

/// <summary>A domain handle result (lookups, define, create XML, create with flags).</summary>
[XdrStruct]
public sealed partial record DomainRet
{
    public required RemoteDomain Dom { get; init; }
}

[XdrStruct]
public sealed partial record DomainListRet
{
    [XdrMax(RemoteLimits.DomainList)]
    public required RemoteDomain[] Domains { get; init; }

    public uint Count { get; init; }
}

[XdrStruct]
public sealed partial record DomainIdsRet
{
    [XdrMax(RemoteLimits.DomainList)]
    public required int[] Ids { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetInfoRet
{
    /// <summary><c>unsigned char</c> state, widened to 4 bytes.</summary>
    public byte State { get; init; }

    public ulong MaxMem { get; init; }

    public ulong Memory { get; init; }

    public ushort NrVirtCpu { get; init; }

    public ulong CpuTime { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetStateRet
{
    public int State { get; init; }

    public int Reason { get; init; }
}

[XdrStruct]
public sealed partial record DomainSetAutostartArgs
{
    public required RemoteDomain Dom { get; init; }

    public int Autostart { get; init; }
}

[XdrStruct]
public sealed partial record DomainSetMemoryArgs
{
    public required RemoteDomain Dom { get; init; }

    public ulong Memory { get; init; }
}

[XdrStruct]
public sealed partial record DomainSetMemoryFlagsArgs
{
    public required RemoteDomain Dom { get; init; }

    public ulong Memory { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record DomainSetVcpusArgs
{
    public required RemoteDomain Dom { get; init; }

    public uint NVcpus { get; init; }
}

[XdrStruct]
public sealed partial record DomainSetVcpusFlagsArgs
{
    public required RemoteDomain Dom { get; init; }

    public uint NVcpus { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record DomainXmlArgs
{
    public required RemoteDomain Dom { get; init; }

    public required string Xml { get; init; }
}

[XdrStruct]
public sealed partial record DomainXmlFlagsArgs
{
    public required RemoteDomain Dom { get; init; }

    public required string Xml { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetSecurityLabelRet
{
    [XdrCharArray]
    [XdrMax(RemoteLimits.SecurityLabel)]
    public required byte[] Label { get; init; }

    public int Enforcing { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetVcpusArgs
{
    public required RemoteDomain Dom { get; init; }

    public int MaxInfo { get; init; }

    public int MapLen { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetVcpusRet
{
    [XdrMax(16384)]
    public required RemoteVcpuInfo[] Info { get; init; }

    [XdrMax(8388608)]
    public required byte[] CpuMaps { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetMetadataArgs
{
    public required RemoteDomain Dom { get; init; }

    public int Type { get; init; }

    public string? Uri { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record DomainSetMetadataArgs
{
    public required RemoteDomain Dom { get; init; }

    public int Type { get; init; }

    public string? Metadata { get; init; }

    public string? Key { get; init; }

    public string? Uri { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record DomainGetMessagesRet
{
    [XdrMax(RemoteLimits.DomainMessages)]
    public required string[] Msgs { get; init; }
}

[XdrStruct]
public sealed partial record ConnectGetAllDomainStatsArgs
{
    [XdrMax(RemoteLimits.DomainList)]
    public required RemoteDomain[] Doms { get; init; }

    public uint Stats { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record ConnectGetAllDomainStatsRet
{
    [XdrMax(RemoteLimits.DomainList)]
    public required RemoteDomainStatsRecord[] RetStats { get; init; }
}

[XdrStruct]
public sealed partial record DomainMemoryStatsArgs
{
    public required RemoteDomain Dom { get; init; }

    public uint MaxStats { get; init; }

    public uint Flags { get; init; }
}

/// <summary>One memory statistic: <see cref="Tag"/> is a <see cref="DomainMemoryStatTag"/>, values in KiB (counts for faults).</summary>
[XdrStruct]
public sealed partial record RemoteDomainMemoryStat
{
    public int Tag { get; init; }

    public ulong Val { get; init; }
}

[XdrStruct]
public sealed partial record DomainMemoryStatsRet
{
    [XdrMax(RemoteLimits.DomainMemoryStats)]
    public required RemoteDomainMemoryStat[] Stats { get; init; }
}

[XdrStruct]
public sealed partial record DomainOpenConsoleArgs
{
    public required RemoteDomain Dom { get; init; }

    public string? DevName { get; init; }

    public uint Flags { get; init; }
}
