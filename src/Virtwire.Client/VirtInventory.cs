using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Client;

/// <summary>One domain as the inventory knows it.</summary>
public sealed record VirtInventoryEntry(string Name, XdrUuid Uuid, int Id, DomainState State, int Reason, bool Persistent);

/// <summary>What changed in the inventory.</summary>
public enum VirtInventoryChangeKind
{
    Added,
    Updated,
    Removed,

    /// <summary>The connection was lost and re-established; the snapshot was rebuilt from a fresh listing.</summary>
    Resynchronized,

    /// <summary>The connection is lost; the inventory is reconnecting (its snapshot may be stale until Resynchronized).</summary>
    Disconnected,
}

public sealed record VirtInventoryChange(VirtInventoryChangeKind Kind, VirtInventoryEntry? Entry, string? Reason = null);

/// <summary>
/// A consistent, live view of every domain on a host: one list-all call for the snapshot, lifecycle events
/// for every change after it (the subscription is made before the listing, so nothing falls between), and
/// after a lost connection an automatic reconnect that re-registers events, re-lists, and reports the
/// differences. The answer to "keep a correct cache without polling".
/// </summary>
public sealed partial class VirtInventory : IAsyncDisposable
{
    private readonly string _uri;
    private readonly VirtConnectionOptions _options;
    private readonly bool _reconnect;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<XdrUuid, VirtInventoryEntry> _entries = new();
    private readonly Channel<VirtInventoryChange> _changes = Channel.CreateUnbounded<VirtInventoryChange>();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    private VirtInventory(string uri, VirtConnectionOptions options, bool reconnect)
    {
        _uri = uri;
        _options = options;
        _reconnect = reconnect;
        _logger = options.LoggerFactory.CreateLogger("Virtwire.Client.Inventory");
    }

    /// <summary>The current snapshot, keyed by UUID.</summary>
    public IReadOnlyDictionary<XdrUuid, VirtInventoryEntry> Domains => _entries;

    /// <summary>Every change after the initial snapshot, in order.</summary>
    public IAsyncEnumerable<VirtInventoryChange> ChangesAsync(CancellationToken cancellationToken = default) => _changes.Reader.ReadAllAsync(cancellationToken);

    /// <summary>How many times the connection was re-established.</summary>
    public int Reconnects { get; private set; }

    /// <summary>
    /// Connects, takes the snapshot, and keeps it current until disposed. With <paramref name="autoReconnect"/>
    /// a lost connection is re-established with backoff, events re-registered and the snapshot resynchronised.
    /// </summary>
    public static async ValueTask<VirtInventory> StartAsync(string uri, bool autoReconnect = true, VirtConnectionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var inventory = new VirtInventory(uri, options ?? VirtConnectionOptions.Default, autoReconnect);
        var connection = await VirtConnection.OpenAsync(uri, inventory._options, cancellationToken).ConfigureAwait(false);
        var subscription = await inventory.SyncAsync(connection, initial: true, cancellationToken).ConfigureAwait(false);
        inventory._loop = Task.Run(() => inventory.RunAsync(connection, subscription), CancellationToken.None);
        return inventory;
    }

    private async Task<VirtDomainEventSubscription> SyncAsync(VirtConnection connection, bool initial, CancellationToken cancellationToken)
    {
        // Subscribe first, then list: any change after the listing arrives as an event.
        var subscription = await connection.SubscribeDomainEventsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var fresh = new Dictionary<XdrUuid, VirtInventoryEntry>();
        foreach (var domain in await connection.ListAllDomainsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var entry = await EntryAsync(domain, cancellationToken).ConfigureAwait(false);
            if (entry is not null)
            {
                fresh[entry.Uuid] = entry;
            }
        }

        foreach (var (uuid, old) in _entries)
        {
            if (!fresh.ContainsKey(uuid) && _entries.TryRemove(uuid, out _) && !initial)
            {
                _changes.Writer.TryWrite(new VirtInventoryChange(VirtInventoryChangeKind.Removed, old));
            }
        }

        foreach (var entry in fresh.Values)
        {
            var existed = _entries.TryGetValue(entry.Uuid, out var old);
            _entries[entry.Uuid] = entry;
            if (!initial && (!existed || old != entry))
            {
                _changes.Writer.TryWrite(new VirtInventoryChange(existed ? VirtInventoryChangeKind.Updated : VirtInventoryChangeKind.Added, entry));
            }
        }

        if (!initial)
        {
            _changes.Writer.TryWrite(new VirtInventoryChange(VirtInventoryChangeKind.Resynchronized, null, "reconnected and re-listed all domains"));
        }

        return subscription;
    }

    private static async Task<VirtInventoryEntry?> EntryAsync(VirtDomain domain, CancellationToken cancellationToken)
    {
        try
        {
            var (state, reason) = await domain.GetStateAsync(cancellationToken).ConfigureAwait(false);
            var persistent = await domain.IsPersistentAsync(cancellationToken).ConfigureAwait(false);
            return new VirtInventoryEntry(domain.Name, domain.Uuid, domain.Id, state, reason, persistent);
        }
        catch (VirtException ex) when (ex.Code == Rpc.VirtErrorCode.NoDomain)
        {
            // Gone between the listing and the question: its removal event follows.
            return null;
        }
    }

    private async Task RunAsync(VirtConnection connection, VirtDomainEventSubscription subscription)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await foreach (var e in subscription.ReadAllAsync(token).ConfigureAwait(false))
                {
                    await ApplyAsync(connection, e, token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is VirtConnectionException or VirtException)
            {
                Log.Lost(_logger, ex.Message);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            if (token.IsCancellationRequested || !_reconnect)
            {
                break;
            }

            _changes.Writer.TryWrite(new VirtInventoryChange(VirtInventoryChangeKind.Disconnected, null, "connection lost; reconnecting"));
            try
            {
                (connection, subscription) = await ReconnectAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
        }

        // Closing the connection deregisters everything server-side (and ends a shared test:/// state's last user).
        await connection.DisposeAsync().ConfigureAwait(false);
        _changes.Writer.TryComplete();
    }

    private async Task<(VirtConnection, VirtDomainEventSubscription)> ReconnectAsync(CancellationToken token)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            token.ThrowIfCancellationRequested();
            try
            {
                var connection = await VirtConnection.OpenAsync(_uri, _options, token).ConfigureAwait(false);
                var subscription = await SyncAsync(connection, initial: false, token).ConfigureAwait(false);
                Reconnects++;
                Log.Reconnected(_logger, _uri);
                return (connection, subscription);
            }
            catch (VirtException ex)
            {
                Log.RetryFailed(_logger, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, token).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private async Task ApplyAsync(VirtConnection connection, VirtDomainEvent e, CancellationToken token)
    {
        var uuid = e.Domain.Uuid;
        VirtInventoryEntry? fresh = null;
        try
        {
            fresh = await EntryAsync(await connection.LookupDomainByUuidAsync(uuid, token).ConfigureAwait(false), token).ConfigureAwait(false);
        }
        catch (VirtException ex) when (ex.Code == Rpc.VirtErrorCode.NoDomain)
        {
        }

        if (fresh is null)
        {
            if (_entries.TryRemove(uuid, out var old))
            {
                _changes.Writer.TryWrite(new VirtInventoryChange(VirtInventoryChangeKind.Removed, old));
            }

            return;
        }

        var existed = _entries.TryGetValue(uuid, out var previous);
        _entries[uuid] = fresh;
        if (!existed || previous != fresh)
        {
            _changes.Writer.TryWrite(new VirtInventoryChange(existed ? VirtInventoryChangeKind.Updated : VirtInventoryChangeKind.Added, fresh));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Inventory connection lost: {Reason}")]
        public static partial void Lost(ILogger logger, string reason);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Inventory reconnected to {Uri} and resynchronised")]
        public static partial void Reconnected(ILogger logger, string uri);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Reconnect failed ({Reason}); retrying in {DelayMs} ms")]
        public static partial void RetryFailed(ILogger logger, string reason, double delayMs);
    }
}
