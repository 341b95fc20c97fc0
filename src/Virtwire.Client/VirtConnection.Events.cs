using System.Collections.Concurrent;
using System.Threading.Channels;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>
/// A live event registration. Events buffer in a bounded queue; if the consumer falls behind, the oldest
/// are dropped and counted in <see cref="Dropped"/> — never silently. Dispose to deregister on the server.
/// </summary>
public class VirtEventSubscription<T> : IAsyncDisposable
{
    private readonly VirtConnection _connection;
    private readonly Channel<T> _events;
    private long _dropped;
    private int _disposed;

    internal VirtEventSubscription(VirtConnection connection, int capacity)
    {
        _connection = connection;
        _events = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest },
            _ => Interlocked.Increment(ref _dropped));
    }

    internal List<(int CallbackId, int Procedure)> Callbacks { get; } = [];

    /// <summary>Events dropped because the consumer did not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The events, in order, until the subscription is disposed or the connection ends.</summary>
    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Completes when an event is available (false when no more will come).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _events.Reader.WaitToReadAsync(cancellationToken);

    public bool TryRead(out T value) => _events.Reader.TryRead(out value!);

    internal void Post(T value) => _events.Writer.TryWrite(value);

    internal void Complete(Exception? error = null) => _events.Writer.TryComplete(error);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Complete();
            await _connection.UnsubscribeAsync(Callbacks).ConfigureAwait(false);
        }
    }
}

/// <summary>A registration for domain lifecycle and reboot events.</summary>
public sealed class VirtDomainEventSubscription : VirtEventSubscription<VirtDomainEvent>
{
    internal VirtDomainEventSubscription(VirtConnection connection, int capacity)
        : base(connection, capacity)
    {
    }
}

/// <summary>A network or storage pool lifecycle event: <see cref="Event"/> is a NetworkLifecycleEvent or StoragePoolLifecycleEvent value.</summary>
public sealed record VirtObjectEvent(string Name, XdrUuid Uuid, int Event, int Detail);

public sealed partial class VirtConnection
{
    private readonly ConcurrentDictionary<(int Procedure, int CallbackId), object> _subscriptions = new();
    private int _pumpStarted;

    /// <summary>
    /// Registers for domain lifecycle and reboot events (of <paramref name="domain"/> only, if given).
    /// When this returns the server-side registration is in place: changes made after it are delivered.
    /// </summary>
    public async ValueTask<VirtDomainEventSubscription> SubscribeDomainEventsAsync(VirtDomain? domain = null, int capacity = 10_000,
        CancellationToken cancellationToken = default)
    {
        StartEventPump();
        var subscription = new VirtDomainEventSubscription(this, capacity);
        foreach (var (id, procedure) in new[] { (DomainEventId.Lifecycle, RemoteProgram.Numbers.DomainEventCallbackLifecycle), (DomainEventId.Reboot, RemoteProgram.Numbers.DomainEventCallbackReboot) })
        {
            var callback = (await Remote.ConnectDomainEventCallbackRegisterAnyAsync(
                new ConnectDomainEventCallbackRegisterAnyArgs { EventId = (int)id, Dom = domain?.Handle }, cancellationToken).ConfigureAwait(false)).Value;
            subscription.Callbacks.Add((callback, procedure));
            _subscriptions[(procedure, callback)] = subscription;
        }

        return subscription;
    }

    /// <summary>Calls <paramref name="handler"/> for every domain event, for those who prefer callbacks; dispose the result to stop.</summary>
    public async ValueTask<VirtDomainEventSubscription> SubscribeDomainEventsAsync(Action<VirtDomainEvent> handler, VirtDomain? domain = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = await SubscribeDomainEventsAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in subscription.ReadAllAsync().ConfigureAwait(false))
                {
                    handler(e);
                }
            }
            catch (VirtConnectionException)
            {
                // The connection ended; Closed says so.
            }
        }, CancellationToken.None);
        return subscription;
    }

    /// <summary>Network lifecycle events (defined, undefined, started, stopped), optionally for one network.</summary>
    public async ValueTask<VirtEventSubscription<VirtObjectEvent>> SubscribeNetworkEventsAsync(VirtNetwork? network = null, CancellationToken cancellationToken = default)
    {
        StartEventPump();
        var subscription = new VirtEventSubscription<VirtObjectEvent>(this, 10_000);
        var callback = (await Remote.ConnectNetworkEventRegisterAnyAsync(
            new ConnectNetworkEventRegisterAnyArgs { EventId = (int)NetworkEventId.Lifecycle, Net = network?.Handle }, cancellationToken).ConfigureAwait(false)).Value;
        subscription.Callbacks.Add((callback, RemoteProgram.Numbers.NetworkEventLifecycle));
        _subscriptions[(RemoteProgram.Numbers.NetworkEventLifecycle, callback)] = subscription;
        return subscription;
    }

    /// <summary>Storage pool lifecycle events, optionally for one pool.</summary>
    public async ValueTask<VirtEventSubscription<VirtObjectEvent>> SubscribeStoragePoolEventsAsync(VirtStoragePool? pool = null, CancellationToken cancellationToken = default)
    {
        StartEventPump();
        var subscription = new VirtEventSubscription<VirtObjectEvent>(this, 10_000);
        var callback = (await Remote.ConnectStoragePoolEventRegisterAnyAsync(
            new ConnectStoragePoolEventRegisterAnyArgs { EventId = (int)StoragePoolEventId.Lifecycle, Pool = pool?.Handle }, cancellationToken).ConfigureAwait(false)).Value;
        subscription.Callbacks.Add((callback, RemoteProgram.Numbers.StoragePoolEventLifecycle));
        _subscriptions[(RemoteProgram.Numbers.StoragePoolEventLifecycle, callback)] = subscription;
        return subscription;
    }

    /// <summary>Domain events as an async stream until <paramref name="cancellationToken"/> fires; deregisters when done.</summary>
    public async IAsyncEnumerable<VirtDomainEvent> DomainEventsAsync(VirtDomain? domain = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var subscription = await SubscribeDomainEventsAsync(domain, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var _ = subscription.ConfigureAwait(false);
        await foreach (var e in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    internal async ValueTask UnsubscribeAsync(List<(int CallbackId, int Procedure)> callbacks)
    {
        foreach (var (id, procedure) in callbacks)
        {
            _subscriptions.TryRemove((procedure, id), out _);
            if (!_rpc.IsConnected)
            {
                continue;
            }

            try
            {
                var args = new IntArgs { Value = id };
                if (procedure == RemoteProgram.Numbers.NetworkEventLifecycle)
                {
                    await Remote.ConnectNetworkEventDeregisterAnyAsync(args, CancellationToken.None).ConfigureAwait(false);
                }
                else if (procedure == RemoteProgram.Numbers.StoragePoolEventLifecycle)
                {
                    await Remote.ConnectStoragePoolEventDeregisterAnyAsync(args, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await Remote.ConnectDomainEventCallbackDeregisterAnyAsync(args, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (VirtException)
            {
            }
        }
    }

    /// <summary>One loop reads every event packet and routes it by callback id to its subscription.</summary>
    private void StartEventPump()
    {
        if (Interlocked.Exchange(ref _pumpStarted, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await foreach (var message in _rpc.Messages.ReadAllAsync().ConfigureAwait(false))
                {
                    Route(message);
                }
            }
            catch (RpcConnectionException ex)
            {
                failure = new VirtConnectionException(ex.Message, ex, ex.IsTransient);
            }

            foreach (var subscription in _subscriptions.Values.Distinct())
            {
                switch (subscription)
                {
                    case VirtEventSubscription<VirtDomainEvent> d:
                        d.Complete(failure);
                        break;
                    case VirtEventSubscription<VirtObjectEvent> o:
                        o.Complete(failure);
                        break;
                }
            }
        });
    }

    private void Route(RpcMessage message)
    {
        if (message.Header.Program != RemoteProgram.Program)
        {
            return;
        }

        var procedure = message.Header.Procedure;
        if (RemoteProgram.Find(procedure) is not { Kind: RpcProcedureKind.Message })
        {
            // An event this client does not know (a newer server): ignored, as libvirt's client does.
            return;
        }

        object body;
        try
        {
            body = RemoteProgram.DecodeMessage(procedure, message.Payload);
        }
        catch (XdrFormatException)
        {
            return;
        }

        switch (body)
        {
            case DomainEventCallbackLifecycleMsg l when _subscriptions.TryGetValue((procedure, l.CallbackId), out var s):
                ((VirtDomainEventSubscription)s).Post(new VirtDomainEvent(Handle(l.Msg.Dom), (DomainLifecycleEvent)l.Msg.Event, l.Msg.Detail));
                break;
            case DomainEventCallbackDomainMsg r when _subscriptions.TryGetValue((procedure, r.CallbackId), out var s):
                ((VirtDomainEventSubscription)s).Post(new VirtDomainEvent(Handle(r.Msg.Dom), default, 0, IsReboot: true));
                break;
            case NetworkEventLifecycleMsg n when _subscriptions.TryGetValue((procedure, n.CallbackId), out var s):
                ((VirtEventSubscription<VirtObjectEvent>)s).Post(new VirtObjectEvent(n.Net.Name, n.Net.Uuid, n.Event, n.Detail));
                break;
            case StoragePoolEventLifecycleMsg p when _subscriptions.TryGetValue((procedure, p.CallbackId), out var s):
                ((VirtEventSubscription<VirtObjectEvent>)s).Post(new VirtObjectEvent(p.Pool.Name, p.Pool.Uuid, p.Event, p.Detail));
                break;
        }
    }

    private static VirtDomainHandle Handle(RemoteDomain dom) => new(dom.Name, dom.Uuid, dom.Id);
}
