using Virtwire.Xdr;

namespace Virtwire.Protocol;

[XdrStruct]
public sealed partial record ConnectOpenArgs
{
    public string? Name { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record ConnectGetMaxVcpusArgs
{
    public string? Type { get; init; }
}

[XdrStruct]
public sealed partial record NodeGetInfoRet
{
    /// <summary>CPU model: <c>char model[32]</c>, 4 bytes per char on the wire, NUL padded.</summary>
    [XdrCharArray]
    [XdrFixed(32)]
    public required byte[] Model { get; init; }

    public ulong Memory { get; init; }

    public int Cpus { get; init; }

    public int Mhz { get; init; }

    public int Nodes { get; init; }

    public int Sockets { get; init; }

    public int Cores { get; init; }

    public int Threads { get; init; }
}

[XdrStruct]
public sealed partial record NodeGetCellsFreeMemoryArgs
{
    public int StartCell { get; init; }

    public int MaxCells { get; init; }
}

[XdrStruct]
public sealed partial record NodeGetCellsFreeMemoryRet
{
    [XdrMax(RemoteLimits.NodeMaxCells)]
    public required ulong[] Cells { get; init; }
}

/// <summary>Security model and DOI, each a <c>char&lt;257&gt;</c> that includes the trailing NUL.</summary>
[XdrStruct]
public sealed partial record NodeGetSecurityModelRet
{
    [XdrCharArray]
    [XdrMax(RemoteLimits.SecurityModel)]
    public required byte[] Model { get; init; }

    [XdrCharArray]
    [XdrMax(RemoteLimits.SecurityDoi)]
    public required byte[] Doi { get; init; }
}

[XdrStruct]
public sealed partial record ConnectGetDomainCapabilitiesArgs
{
    public string? EmulatorBin { get; init; }

    public string? Arch { get; init; }

    public string? Machine { get; init; }

    public string? VirtType { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record ConnectSetIdentityArgs
{
    [XdrMax(RemoteLimits.IdentityParams)]
    public required RemoteTypedParam[] Params { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record ConnectEventConnectionClosedMsg
{
    public int Reason { get; init; }
}

[XdrStruct]
public sealed partial record AuthListRet
{
    [XdrMax(RemoteLimits.AuthTypeList)]
    public required AuthType[] Types { get; init; }
}

[XdrStruct]
public sealed partial record AuthSaslStartArgs
{
    public required string Mech { get; init; }

    public int Nil { get; init; }

    [XdrCharArray]
    [XdrMax(RemoteLimits.SaslData)]
    public required byte[] Data { get; init; }
}

[XdrStruct]
public sealed partial record AuthSaslStepArgs
{
    public int Nil { get; init; }

    [XdrCharArray]
    [XdrMax(RemoteLimits.SaslData)]
    public required byte[] Data { get; init; }
}

/// <summary>Reply of AUTH_SASL_START and AUTH_SASL_STEP.</summary>
[XdrStruct]
public sealed partial record AuthSaslStepRet
{
    public int Complete { get; init; }

    public int Nil { get; init; }

    [XdrCharArray]
    [XdrMax(RemoteLimits.SaslData)]
    public required byte[] Data { get; init; }
}

[XdrStruct]
public sealed partial record NodeGetMemoryStatsArgs
{
    public int NParams { get; init; }

    public int CellNum { get; init; }

    public uint Flags { get; init; }
}

/// <summary>One memory statistic: a field name and its value in KiB.</summary>
[XdrStruct]
public sealed partial record NodeMemoryStat
{
    public required string Field { get; init; }

    public ulong Value { get; init; }
}

[XdrStruct]
public sealed partial record NodeGetMemoryStatsRet
{
    [XdrMax(16)]
    public required NodeMemoryStat[] Params { get; init; }

    public int NParams { get; init; }
}
