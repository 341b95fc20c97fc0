using Virtwire.Xdr;

namespace Virtwire.Protocol;

[XdrStruct]
public sealed partial record StoragePoolArgs
{
    public required RemoteStoragePool Pool { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolFlagsArgs
{
    public required RemoteStoragePool Pool { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolRet
{
    public required RemoteStoragePool Pool { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolSetAutostartArgs
{
    public required RemoteStoragePool Pool { get; init; }

    public int Autostart { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolGetInfoRet
{
    /// <summary><c>unsigned char</c> state, widened to 4 bytes.</summary>
    public byte State { get; init; }

    public ulong Capacity { get; init; }

    public ulong Allocation { get; init; }

    public ulong Available { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolListRet
{
    [XdrMax(RemoteLimits.StoragePoolList)]
    public required RemoteStoragePool[] Pools { get; init; }

    public uint Count { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolListAllVolumesArgs
{
    public required RemoteStoragePool Pool { get; init; }

    public int NeedResults { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record StorageVolListRet
{
    [XdrMax(RemoteLimits.StorageVolList)]
    public required RemoteStorageVol[] Vols { get; init; }

    public uint Count { get; init; }
}

[XdrStruct]
public sealed partial record StorageVolLookupByNameArgs
{
    public required RemoteStoragePool Pool { get; init; }

    public required string Name { get; init; }
}

[XdrStruct]
public sealed partial record StorageVolArgs
{
    public required RemoteStorageVol Vol { get; init; }
}

[XdrStruct]
public sealed partial record StorageVolFlagsArgs
{
    public required RemoteStorageVol Vol { get; init; }

    public uint Flags { get; init; }
}

[XdrStruct]
public sealed partial record StorageVolRet
{
    public required RemoteStorageVol Vol { get; init; }
}

[XdrStruct]
public sealed partial record StorageVolGetInfoRet
{
    /// <summary><c>char</c> type, widened to 4 bytes.</summary>
    public byte Type { get; init; }

    public ulong Capacity { get; init; }

    public ulong Allocation { get; init; }
}
