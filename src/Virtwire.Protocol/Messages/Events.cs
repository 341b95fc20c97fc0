using Virtwire.Xdr;

namespace Virtwire.Protocol;

/// <summary>Callback-style domain event registration: event id and an optional domain filter.</summary>
[XdrStruct]
public sealed partial record ConnectDomainEventCallbackRegisterAnyArgs
{
    public int EventId { get; init; }

    public RemoteDomain? Dom { get; init; }
}

[XdrStruct]
public sealed partial record ConnectNetworkEventRegisterAnyArgs
{
    public int EventId { get; init; }

    public RemoteNetwork? Net { get; init; }
}

[XdrStruct]
public sealed partial record ConnectStoragePoolEventRegisterAnyArgs
{
    public int EventId { get; init; }

    public RemoteStoragePool? Pool { get; init; }
}

/// <summary>A lifecycle event body (legacy message 107, nested in callback message 318).</summary>
[XdrStruct]
public sealed partial record DomainEventLifecycleMsg
{
    public required RemoteDomain Dom { get; init; }

    public int Event { get; init; }

    public int Detail { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventCallbackLifecycleMsg
{
    public int CallbackId { get; init; }

    public required DomainEventLifecycleMsg Msg { get; init; }
}

/// <summary>A body holding only the domain (reboot, control error).</summary>
[XdrStruct]
public sealed partial record DomainEventDomainMsg
{
    public required RemoteDomain Dom { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventCallbackDomainMsg
{
    public int CallbackId { get; init; }

    public required DomainEventDomainMsg Msg { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventRtcChangeMsg
{
    public required RemoteDomain Dom { get; init; }

    public long Offset { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventCallbackRtcChangeMsg
{
    public int CallbackId { get; init; }

    public required DomainEventRtcChangeMsg Msg { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventWatchdogMsg
{
    public required RemoteDomain Dom { get; init; }

    public int Action { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventCallbackWatchdogMsg
{
    public int CallbackId { get; init; }

    public required DomainEventWatchdogMsg Msg { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventIoErrorMsg
{
    public required RemoteDomain Dom { get; init; }

    public required string SrcPath { get; init; }

    public required string DevAlias { get; init; }

    public int Action { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventCallbackIoErrorMsg
{
    public int CallbackId { get; init; }

    public required DomainEventIoErrorMsg Msg { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventBalloonChangeMsg
{
    public required RemoteDomain Dom { get; init; }

    public ulong Actual { get; init; }
}

[XdrStruct]
public sealed partial record DomainEventCallbackBalloonChangeMsg
{
    public int CallbackId { get; init; }

    public required DomainEventBalloonChangeMsg Msg { get; init; }
}

[XdrStruct]
public sealed partial record NetworkEventLifecycleMsg
{
    public int CallbackId { get; init; }

    public required RemoteNetwork Net { get; init; }

    public int Event { get; init; }

    public int Detail { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolEventLifecycleMsg
{
    public int CallbackId { get; init; }

    public required RemoteStoragePool Pool { get; init; }

    public int Event { get; init; }

    public int Detail { get; init; }
}

[XdrStruct]
public sealed partial record StoragePoolEventRefreshMsg
{
    public int CallbackId { get; init; }

    public required RemoteStoragePool Pool { get; init; }
}
