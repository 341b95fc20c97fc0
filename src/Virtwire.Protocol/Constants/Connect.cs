namespace Virtwire.Protocol;

/// <summary>Authentication schemes a listener offers (<c>remote_auth_type</c>).</summary>
public enum AuthType
{
    None = 0,
    Sasl = 1,
    Polkit = 2,
}

/// <summary>Flags of CONNECT_OPEN.</summary>
[Flags]
public enum ConnectOpenFlags : uint
{
    None = 0,
    ReadOnly = 1,
    NoAliases = 2,
}

/// <summary>Feature numbers probed with CONNECT_SUPPORTS_FEATURE (protocol-facts §5.1).</summary>
public enum DriverFeature
{
    MigrationV1 = 1,
    Remote = 2,
    MigrationV2 = 3,
    MigrationP2P = 4,
    MigrationDirect = 5,
    MigrationV3 = 6,
    MigrateChangeProtection = 7,
    FdPassing = 8,
    TypedParamString = 9,
    ProgramKeepalive = 10,
    XmlMigratable = 11,
    MigrationOffline = 12,
    MigrationParams = 13,
    RemoteEventCallback = 14,
    RemoteCloseCallback = 15,
    NetworkUpdateHasCorrectOrder = 16,
}

/// <summary>Why a connection closed (<c>virConnectCloseReason</c>).</summary>
public enum ConnectCloseReason
{
    Error = 0,
    Eof = 1,
    Keepalive = 2,
    Client = 3,
}
