using Virtwire.Drivers;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Server;

internal sealed partial class RemoteDispatcher
{
    /// <summary>Domain event ids libvirt 9.0 knows (VIR_DOMAIN_EVENT_ID_LAST = 27); legacy REGISTER_ANY accepts 0..15.</summary>
    private const int DomainEventIdLast = 27;
    private const int LegacyEventIdLast = 16;

    private static RpcRemoteException UnsupportedEvent(int id) =>
        new(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Rpc, $"invalid argument: unsupported event ID {id}", "invalid argument: %s",
            $"unsupported event ID {id}"));

    public override ValueTask<IntRet> ConnectDomainEventCallbackRegisterAnyAsync(ClientSession context, ConnectDomainEventCallbackRegisterAnyArgs args, CancellationToken cancellationToken)
    {
        if (args.EventId < 0 || args.EventId >= DomainEventIdLast)
        {
            throw UnsupportedEvent(args.EventId);
        }

        return ValueTask.FromResult(Int(Register(context, EventObjectKind.Domain, args.EventId, args.Dom?.Uuid)));
    }

    public override ValueTask ConnectDomainEventCallbackDeregisterAnyAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        Deregister(context, args.Value, EventObjectKind.Domain);

    public override ValueTask<IntRet> ConnectNetworkEventRegisterAnyAsync(ClientSession context, ConnectNetworkEventRegisterAnyArgs args, CancellationToken cancellationToken)
    {
        if (args.EventId is < 0 or > 1)
        {
            throw UnsupportedEvent(args.EventId);
        }

        return ValueTask.FromResult(Int(Register(context, EventObjectKind.Network, args.EventId, args.Net?.Uuid)));
    }

    public override ValueTask ConnectNetworkEventDeregisterAnyAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        Deregister(context, args.Value, EventObjectKind.Network);

    public override ValueTask<IntRet> ConnectStoragePoolEventRegisterAnyAsync(ClientSession context, ConnectStoragePoolEventRegisterAnyArgs args, CancellationToken cancellationToken)
    {
        if (args.EventId is < 0 or > 1)
        {
            throw UnsupportedEvent(args.EventId);
        }

        return ValueTask.FromResult(Int(Register(context, EventObjectKind.StoragePool, args.EventId, args.Pool?.Uuid)));
    }

    public override ValueTask ConnectStoragePoolEventDeregisterAnyAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken) =>
        Deregister(context, args.Value, EventObjectKind.StoragePool);

    public override ValueTask<IntRet> ConnectDomainEventRegisterAsync(ClientSession context, CancellationToken cancellationToken)
    {
        lock (context.Gate)
        {
            context.LegacyLifecycle = true;
        }

        return ValueTask.FromResult(One);
    }

    public override ValueTask<IntRet> ConnectDomainEventDeregisterAsync(ClientSession context, CancellationToken cancellationToken)
    {
        lock (context.Gate)
        {
            context.LegacyLifecycle = false;
        }

        return ValueTask.FromResult(Zero);
    }

    public override ValueTask ConnectDomainEventRegisterAnyAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken)
    {
        if (args.Value < 0 || args.Value >= LegacyEventIdLast)
        {
            throw UnsupportedEvent(args.Value);
        }

        lock (context.Gate)
        {
            if (!context.LegacyEventIds.Add(args.Value))
            {
                throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InternalError, VirtErrorDomain.Rpc,
                    $"internal error: domain event {args.Value} already registered", "internal error: %s", $"domain event {args.Value} already registered"));
            }
        }

        return ValueTask.CompletedTask;
    }

    public override ValueTask ConnectDomainEventDeregisterAnyAsync(ClientSession context, IntArgs args, CancellationToken cancellationToken)
    {
        lock (context.Gate)
        {
            if (!context.LegacyEventIds.Remove(args.Value))
            {
                throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InternalError, VirtErrorDomain.Rpc,
                    $"internal error: domain event {args.Value} not registered", "internal error: %s", $"domain event {args.Value} not registered"));
            }
        }

        return ValueTask.CompletedTask;
    }

    private static int Register(ClientSession context, EventObjectKind kind, int eventId, XdrUuid? filter)
    {
        var id = context.NextCallbackId();
        lock (context.Gate)
        {
            context.Callbacks[id] = new EventRegistration(id, kind, eventId, filter);
        }

        return id;
    }

    private static ValueTask Deregister(ClientSession context, int callbackId, EventObjectKind kind)
    {
        lock (context.Gate)
        {
            if (!context.Callbacks.TryGetValue(callbackId, out var registration) || registration.Kind != kind)
            {
                throw new RpcRemoteException(RemoteError.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Rpc,
                    $"invalid argument: callback {callbackId} not registered", "invalid argument: %s", $"callback {callbackId} not registered"));
            }

            context.Callbacks.Remove(callbackId);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Fans a driver event out to one client's registrations, in the message shapes libvirtd sends.</summary>
internal static class Events
{
    private const uint Program = RemoteProgram.Program;
    private const uint Version = RemoteProgram.Version;

    public static void Deliver(ClientSession session, DriverEvent driverEvent)
    {
        List<(int Procedure, IXdrWritable Body)> messages = [];
        lock (session.Gate)
        {
            switch (driverEvent)
            {
                case DomainLifecycleDriverEvent e:
                    var lifecycle = new DomainEventLifecycleMsg { Dom = e.Domain.ToWire(), Event = (int)e.Event, Detail = e.Detail };
                    if (session.LegacyLifecycle || session.LegacyEventIds.Contains((int)DomainEventId.Lifecycle))
                    {
                        messages.Add((RemoteProgram.Numbers.DomainEventLifecycle, lifecycle));
                    }

                    foreach (var r in Matching(session, EventObjectKind.Domain, (int)DomainEventId.Lifecycle, e.Domain.Uuid))
                    {
                        messages.Add((RemoteProgram.Numbers.DomainEventCallbackLifecycle, new DomainEventCallbackLifecycleMsg { CallbackId = r.CallbackId, Msg = lifecycle }));
                    }

                    break;
                case DomainRebootDriverEvent e:
                    var reboot = new DomainEventDomainMsg { Dom = e.Domain.ToWire() };
                    if (session.LegacyEventIds.Contains((int)DomainEventId.Reboot))
                    {
                        messages.Add((RemoteProgram.Numbers.DomainEventReboot, reboot));
                    }

                    foreach (var r in Matching(session, EventObjectKind.Domain, (int)DomainEventId.Reboot, e.Domain.Uuid))
                    {
                        messages.Add((RemoteProgram.Numbers.DomainEventCallbackReboot, new DomainEventCallbackDomainMsg { CallbackId = r.CallbackId, Msg = reboot }));
                    }

                    break;
                case NetworkLifecycleDriverEvent e:
                    foreach (var r in Matching(session, EventObjectKind.Network, (int)NetworkEventId.Lifecycle, e.Network.Uuid))
                    {
                        messages.Add((RemoteProgram.Numbers.NetworkEventLifecycle,
                            new NetworkEventLifecycleMsg { CallbackId = r.CallbackId, Net = e.Network.ToWire(), Event = (int)e.Event, Detail = e.Detail }));
                    }

                    break;
                case StoragePoolLifecycleDriverEvent e:
                    foreach (var r in Matching(session, EventObjectKind.StoragePool, (int)StoragePoolEventId.Lifecycle, e.Pool.Uuid))
                    {
                        messages.Add((RemoteProgram.Numbers.StoragePoolEventLifecycle,
                            new StoragePoolEventLifecycleMsg { CallbackId = r.CallbackId, Pool = e.Pool.ToWire(), Event = (int)e.Event, Detail = e.Detail }));
                    }

                    break;
            }
        }

        foreach (var (procedure, body) in messages)
        {
            // A client whose queue is full is disconnected by the connection itself (bounded memory).
            session.Connection.TrySendMessage(Program, Version, procedure, body);
        }
    }

    private static IEnumerable<EventRegistration> Matching(ClientSession session, EventObjectKind kind, int eventId, XdrUuid uuid) =>
        session.Callbacks.Values.Where(r => r.Kind == kind && r.EventId == eventId && (r.Filter is null || r.Filter == uuid)).OrderBy(r => r.CallbackId).ToList();
}
