namespace Virtwire.Protocol;

/// <summary>Flags of CONNECT_LIST_ALL_NETWORKS: INACTIVE = 1, ACTIVE = 2 (the reverse of domains).</summary>
[Flags]
public enum ListNetworksFlags : uint
{
    None = 0,
    Inactive = 1,
    Active = 2,
    Persistent = 4,
    Transient = 8,
    Autostart = 16,
    NoAutostart = 32,
}

/// <summary>Flags of CONNECT_LIST_ALL_STORAGE_POOLS: INACTIVE = 1, ACTIVE = 2, then pool types.</summary>
[Flags]
public enum ListStoragePoolsFlags : uint
{
    None = 0,
    Inactive = 1,
    Active = 2,
    Persistent = 4,
    Transient = 8,
    Autostart = 16,
    NoAutostart = 32,
    Dir = 64,
    Fs = 128,
    NetFs = 256,
    Logical = 512,
    Disk = 1024,
    Iscsi = 2048,
    Scsi = 4096,
    Mpath = 8192,
    Rbd = 16384,
    Sheepdog = 32768,
    Gluster = 65536,
    Zfs = 131072,
    Vstorage = 262144,
    IscsiDirect = 524288,
}

/// <summary><c>virStoragePoolState</c>.</summary>
public enum StoragePoolState
{
    Inactive = 0,
    Building = 1,
    Running = 2,
    Degraded = 3,
    Inaccessible = 4,
}

/// <summary>Network event ids and lifecycle values.</summary>
public enum NetworkEventId
{
    Lifecycle = 0,
    MetadataChange = 1,
}

public enum NetworkLifecycleEvent
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Stopped = 3,
}

/// <summary>Storage pool event ids and lifecycle values.</summary>
public enum StoragePoolEventId
{
    Lifecycle = 0,
    Refresh = 1,
}

public enum StoragePoolLifecycleEvent
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Stopped = 3,
    Created = 4,
    Deleted = 5,
}
