using Virtwire.Xdr;

namespace Virtwire.Protocol;

[XdrStruct]
public sealed partial record NetworkArgs
{
    public required RemoteNetwork Net { get; init; }
}

[XdrStruct]
public sealed partial record NetworkFlagsArgs
{
    public required RemoteNetwork Net { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record NetworkRet
{
    public required RemoteNetwork Net { get; init; }
}

[XdrStruct]
public sealed partial record NetworkSetAutostartArgs
{
    public required RemoteNetwork Net { get; init; }

    public int Autostart { get; init; }
}

[XdrStruct]
public sealed partial record NetworkListRet
{
    [XdrMax(RemoteLimits.NetworkList)]
    public required RemoteNetwork[] Nets { get; init; }

    public uint Count { get; init; }
}
