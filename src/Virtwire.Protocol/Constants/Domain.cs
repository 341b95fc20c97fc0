namespace Virtwire.Protocol;

/// <summary><c>virDomainState</c>.</summary>
public enum DomainState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PmSuspended = 7,
}

/// <summary>Reasons for <see cref="DomainState.Running"/>.</summary>
public enum DomainRunningReason
{
    Unknown = 0,
    Booted = 1,
    Migrated = 2,
    Restored = 3,
    FromSnapshot = 4,
    Unpaused = 5,
    MigrationCanceled = 6,
    SaveCanceled = 7,
    Wakeup = 8,
    Crashed = 9,
    Postcopy = 10,
    PostcopyFailed = 11,
}

/// <summary>Reasons for <see cref="DomainState.Paused"/>.</summary>
public enum DomainPausedReason
{
    Unknown = 0,
    User = 1,
    Migration = 2,
    Save = 3,
    Dump = 4,
    IoError = 5,
    Watchdog = 6,
    FromSnapshot = 7,
    ShuttingDown = 8,
    Snapshot = 9,
    Crashed = 10,
    StartingUp = 11,
    Postcopy = 12,
    PostcopyFailed = 13,
    ApiError = 14,
}

/// <summary>Reasons for <see cref="DomainState.Shutdown"/>.</summary>
public enum DomainShutdownReason
{
    Unknown = 0,
    User = 1,
}

/// <summary>Reasons for <see cref="DomainState.Shutoff"/>.</summary>
public enum DomainShutoffReason
{
    Unknown = 0,
    Shutdown = 1,
    Destroyed = 2,
    Crashed = 3,
    Migrated = 4,
    Saved = 5,
    Failed = 6,
    FromSnapshot = 7,
    Daemon = 8,
}

/// <summary>Reasons for <see cref="DomainState.Crashed"/>.</summary>
public enum DomainCrashedReason
{
    Unknown = 0,
    Panicked = 1,
}

/// <summary>Flags of CONNECT_LIST_ALL_DOMAINS. Note ACTIVE = 1 here but 2 for networks and pools.</summary>
[Flags]
public enum ListDomainsFlags : uint
{
    None = 0,
    Active = 1,
    Inactive = 2,
    Persistent = 4,
    Transient = 8,
    Running = 16,
    Paused = 32,
    Shutoff = 64,
    Other = 128,
    ManagedSave = 256,
    NoManagedSave = 512,
    Autostart = 1024,
    NoAutostart = 2048,
    HasSnapshot = 4096,
    NoSnapshot = 8192,
    HasCheckpoint = 16384,
    NoCheckpoint = 32768,
}

/// <summary>Stats groups of CONNECT_GET_ALL_DOMAIN_STATS.</summary>
[Flags]
public enum DomainStatsTypes : uint
{
    None = 0,
    State = 1,
    CpuTotal = 2,
    Balloon = 4,
    Vcpu = 8,
    Interface = 16,
    Block = 32,
    Perf = 64,
    IoThread = 128,
    Memory = 256,
    DirtyRate = 512,
    Vm = 1024,
}

/// <summary>Flags of CONNECT_GET_ALL_DOMAIN_STATS that filter domains.</summary>
[Flags]
public enum GetAllDomainStatsFlags : uint
{
    None = 0,
    Active = 1,
    Inactive = 2,
    Persistent = 4,
    Transient = 8,
    Running = 16,
    Paused = 32,
    Shutoff = 64,
    Other = 128,
    NoWait = 1u << 29,
    Backing = 1u << 30,
    EnforceStats = 1u << 31,
}

/// <summary>Flags of DOMAIN_CREATE_WITH_FLAGS / CREATE_XML.</summary>
[Flags]
public enum DomainCreateFlags : uint
{
    None = 0,
    Paused = 1,
    AutoDestroy = 2,
    BypassCache = 4,
    ForceBoot = 8,
    Validate = 16,
    ResetNvram = 32,
}

/// <summary>Flags of DOMAIN_DESTROY_FLAGS.</summary>
[Flags]
public enum DomainDestroyFlags : uint
{
    None = 0,
    Graceful = 1,
    RemoveLogs = 2,
}

/// <summary>Flags of DOMAIN_UNDEFINE_FLAGS.</summary>
[Flags]
public enum DomainUndefineFlags : uint
{
    None = 0,
    ManagedSave = 1,
    SnapshotsMetadata = 2,
    Nvram = 4,
    KeepNvram = 8,
    CheckpointsMetadata = 16,
    Tpm = 32,
    KeepTpm = 64,
}

/// <summary>Flags of DOMAIN_GET_XML_DESC.</summary>
[Flags]
public enum DomainXmlFlags : uint
{
    None = 0,
    Secure = 1,
    Inactive = 2,
    UpdateCpu = 4,
    Migratable = 8,
}

/// <summary>Flags that pick live or persistent config (memory, vcpus, metadata).</summary>
[Flags]
public enum DomainModificationImpact : uint
{
    Current = 0,
    Live = 1,
    Config = 2,
}

/// <summary>Extra flags of DOMAIN_GET_VCPUS_FLAGS / SET_VCPUS_FLAGS and SET_MEMORY_FLAGS.</summary>
[Flags]
public enum DomainVcpuFlags : uint
{
    Current = 0,
    Live = 1,
    Config = 2,
    Maximum = 4,
    Guest = 8,
    Hotpluggable = 16,
}

/// <summary>Domain event ids for event registration (protocol-facts §5.3).</summary>
public enum DomainEventId
{
    Lifecycle = 0,
    Reboot = 1,
    RtcChange = 2,
    Watchdog = 3,
    IoError = 4,
    Graphics = 5,
    IoErrorReason = 6,
    ControlError = 7,
    BlockJob = 8,
    DiskChange = 9,
    TrayChange = 10,
    PmWakeup = 11,
    PmSuspend = 12,
    BalloonChange = 13,
    PmSuspendDisk = 14,
    DeviceRemoved = 15,
    BlockJob2 = 16,
    Tunable = 17,
    AgentLifecycle = 18,
    DeviceAdded = 19,
    MigrationIteration = 20,
    JobCompleted = 21,
    DeviceRemovalFailed = 22,
    MetadataChange = 23,
    BlockThreshold = 24,
    MemoryFailure = 25,
    MemoryDeviceSizeChange = 26,
}

/// <summary>Lifecycle event kinds (<c>virDomainEventType</c>).</summary>
public enum DomainLifecycleEvent
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PmSuspended = 7,
    Crashed = 8,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Defined"/>.</summary>
public enum DomainEventDefinedDetail
{
    Added = 0,
    Updated = 1,
    Renamed = 2,
    FromSnapshot = 3,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Undefined"/>.</summary>
public enum DomainEventUndefinedDetail
{
    Removed = 0,
    Renamed = 1,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Started"/>.</summary>
public enum DomainEventStartedDetail
{
    Booted = 0,
    Migrated = 1,
    Restored = 2,
    FromSnapshot = 3,
    Wakeup = 4,
    Recreated = 5,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Suspended"/>.</summary>
public enum DomainEventSuspendedDetail
{
    Paused = 0,
    Migrated = 1,
    IoError = 2,
    Watchdog = 3,
    Restored = 4,
    FromSnapshot = 5,
    ApiError = 6,
    Postcopy = 7,
    PostcopyFailed = 8,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Resumed"/>.</summary>
public enum DomainEventResumedDetail
{
    Unpaused = 0,
    Migrated = 1,
    FromSnapshot = 2,
    Postcopy = 3,
    PostcopyFailed = 4,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Stopped"/>.</summary>
public enum DomainEventStoppedDetail
{
    Shutdown = 0,
    Destroyed = 1,
    Crashed = 2,
    Migrated = 3,
    Saved = 4,
    Failed = 5,
    FromSnapshot = 6,
    Recreated = 7,
}

/// <summary>Details of <see cref="DomainLifecycleEvent.Shutdown"/>.</summary>
public enum DomainEventShutdownDetail
{
    Finished = 0,
    Guest = 1,
    Host = 2,
}

/// <summary>Metadata kinds of DOMAIN_GET/SET_METADATA.</summary>
public enum DomainMetadataType
{
    Description = 0,
    Title = 1,
    Element = 2,
}

/// <summary>Flags of DOMAIN_OPEN_CONSOLE (virDomainConsoleFlags).</summary>
[Flags]
public enum DomainConsoleFlags : uint
{
    None = 0,

    /// <summary>Take the console over from another session that holds it.</summary>
    Force = 1,

    /// <summary>Only open when the driver can guarantee exclusive, safe access.</summary>
    Safe = 2,
}

/// <summary>virDomainMemoryStatTags: what each DOMAIN_MEMORY_STATS entry measures.</summary>
public enum DomainMemoryStatTag
{
    SwapIn = 0,
    SwapOut = 1,
    MajorFault = 2,
    MinorFault = 3,
    Unused = 4,
    Available = 5,
    ActualBalloon = 6,
    Rss = 7,
    Usable = 8,
    LastUpdate = 9,
    DiskCaches = 10,
    HugetlbPgalloc = 11,
    HugetlbPgfail = 12,
}
