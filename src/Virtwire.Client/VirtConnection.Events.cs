using System.Collections.Concurrent;
using System.Threading.Channels;
using Virtwire.Protocol;
using Virtwire.Rpc;

namespace Virtwire.Client;

/// <summary>
/// A live registration for domain events. Events buffer in a bounded queue; if the consumer falls
/// behind, the oldest are dropped and counted in <see cref="Dropped"/> — never silently.
/// Dispose to deregister on the server.
/// </summary>
public sealed class VirtDomainEventSubscription : IAsyncDisposable
{
    private readonly VirtConnection _connection;
    private readonly Channel<VirtDomainEvent> _events;
    private long _dropped;
    private int _disposed;

    internal VirtDomainEventSubscription(VirtConnection connection, int capacity)
    {
        _connection = connection;
        _events = Channel.CreateBounded<VirtDomainEvent>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest },
            _ => Interlocked.Increment(ref _dropped));
    }

    internal List<int> CallbackIds { get; } = [];

    /// <summary>Events dropped because the consumer did not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The events, in order, until the subscription is disposed or the connection ends.</summary>
    public IAsyncEnumerable<VirtDomainEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Completes when an event is available (false when no more will come).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _events.Reader.WaitToReadAsync(cancellationToken);

    public bool TryRead(out VirtDomainEvent domainEvent) => _events.Reader.TryRead(out domainEvent!);

    internal void Post(VirtDomainEvent domainEvent) => _events.Writer.TryWrite(domainEvent);

    internal void Complete(Exception? error = null) => _events.Writer.TryComplete(error);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Complete();
            await _connection.UnsubscribeAsync(this).ConfigureAwait(false);
        }
    }
}

public sealed partial class VirtConnection
{
    private readonly ConcurrentDictionary<int, VirtDomainEventSubscription> _subscriptions = new();
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
        foreach (var id in new[] { DomainEventId.Lifecycle, DomainEventId.Reboot })
        {
            var callback = (await Remote.ConnectDomainEventCallbackRegisterAnyAsync(
                new ConnectDomainEventCallbackRegisterAnyArgs { EventId = (int)id, Dom = domain?.Handle }, cancellationToken).ConfigureAwait(false)).Value;
            subscription.CallbackIds.Add(callback);
            _subscriptions[callback] = subscription;
        }

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

    internal async ValueTask UnsubscribeAsync(VirtDomainEventSubscription subscription)
    {
        foreach (var id in subscription.CallbackIds)
        {
            _subscriptions.TryRemove(id, out _);
            if (_rpc.IsConnected)
            {
                try
                {
                    await Remote.ConnectDomainEventCallbackDeregisterAnyAsync(new IntArgs { Value = id }, CancellationToken.None).ConfigureAwait(false);
                }
                catch (VirtException)
                {
                }
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
                subscription.Complete(failure);
            }
        });
    }

    private void Route(RpcMessage message)
    {
        if (message.Header.Program != RemoteProgram.Program)
        {
            return;
        }

        switch (message.Header.Procedure)
        {
            case RemoteProgram.Numbers.DomainEventCallbackLifecycle:
                var l = (DomainEventCallbackLifecycleMsg)RemoteProgram.DecodeMessage(message.Header.Procedure, message.Payload);
                if (_subscriptions.TryGetValue(l.CallbackId, out var ls))
                {
                    ls.Post(new VirtDomainEvent(Handle(l.Msg.Dom), (DomainLifecycleEvent)l.Msg.Event, l.Msg.Detail));
                }

                break;
            case RemoteProgram.Numbers.DomainEventCallbackReboot:
                var r = (DomainEventCallbackDomainMsg)RemoteProgram.DecodeMessage(message.Header.Procedure, message.Payload);
                if (_subscriptions.TryGetValue(r.CallbackId, out var rs))
                {
                    rs.Post(new VirtDomainEvent(Handle(r.Msg.Dom), default, 0, IsReboot: true));
                }

                break;
        }
    }

    private static VirtDomainHandle Handle(RemoteDomain dom) => new(dom.Name, dom.Uuid, dom.Id);
}
