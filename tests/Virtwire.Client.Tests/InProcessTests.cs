using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.Rpc;

namespace Virtwire.Client.Tests;

/// <summary>test:///default runs in-process: no daemon, same behaviour.</summary>
[Collection(SharedDefaultCollection.Name)]
public sealed class InProcessTests
{
    [Fact]
    public async Task DefaultTestDriver_ListsAndControlsTheTestDomain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        Assert.Equal("TEST", await conn.GetTypeAsync(ct));
        Assert.Equal("test:///default", await conn.GetServerUriAsync(ct));
        var domain = Assert.Single(await conn.ListAllDomainsAsync(cancellationToken: ct));
        Assert.Equal(("test", 1, "6695eb01-f6a4-8304-79aa-97f2502e193f"), (domain.Name, domain.Id, domain.Uuid.ToString()));
        await domain.SuspendAsync(ct);
        Assert.Equal((DomainState.Paused, (int)DomainPausedReason.User), await domain.GetStateAsync(ct));
        await domain.ResumeAsync(ct);
        var info = await domain.GetInfoAsync(ct);
        Assert.Equal((DomainState.Running, 8388608ul, 2097152ul, 2), (info.State, info.MaxMemoryKiB, info.MemoryKiB, info.VirtCpus));
        var node = await conn.GetNodeInfoAsync(ct);
        Assert.Equal(new VirtNodeInfo("i686", 3145728, 16, 1400, 2, 2, 2, 2), node);
        Assert.Equal(("testSecurity", string.Empty), await conn.GetSecurityModelAsync(ct));
    }

    [Fact]
    public async Task Errors_CarryLibvirtsCodeDomainAndMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        var ex = await Assert.ThrowsAsync<VirtException>(async () => await conn.LookupDomainByNameAsync("nosuch", ct));
        Assert.Equal((VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found"), (ex.Code, ex.Domain, ex.Message));
        var domain = await conn.LookupDomainAsync("test", ct);
        var running = await Assert.ThrowsAsync<VirtException>(async () => await domain.StartAsync(cancellationToken: ct));
        Assert.Equal(VirtErrorCode.InternalError, running.Code);
        Assert.Equal("internal error: Domain 'test' is already running", running.Message);
    }

    [Fact]
    public async Task ReadOnlyConnection_IsRefusedWrites()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await VirtConnection.OpenReadOnlyAsync("test:///default", cancellationToken: ct);
        var domain = await conn.LookupDomainByNameAsync("test", ct);
        var ex = await Assert.ThrowsAsync<VirtException>(async () => await domain.SuspendAsync(ct));
        Assert.Equal(VirtErrorCode.OperationDenied, ex.Code);
        Assert.Equal("operation forbidden: read only access prevents virDomainSuspend", ex.Message);
    }

    [Fact]
    public async Task Events_ArriveForChangesMadeOnAnotherConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var watcher = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        await using var actor = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        await using var subscription = await watcher.SubscribeDomainEventsAsync(cancellationToken: ct);
        var domain = await actor.LookupDomainByNameAsync("test", ct);
        await domain.SuspendAsync(ct);
        await domain.ResumeAsync(ct);
        await domain.DestroyAsync(cancellationToken: ct);
        var received = await subscription.ReadAllAsync(ct).Take(3).ToListAsync(ct);
        Assert.Equal((DomainLifecycleEvent.Suspended, (int)DomainEventSuspendedDetail.Paused), (received[0].Event, received[0].Detail));
        Assert.Equal((DomainLifecycleEvent.Resumed, (int)DomainEventResumedDetail.Unpaused), (received[1].Event, received[1].Detail));
        Assert.Equal((DomainLifecycleEvent.Stopped, (int)DomainEventStoppedDetail.Destroyed), (received[2].Event, received[2].Detail));
        Assert.All(received, e => Assert.Equal("test", e.Domain.Name));
        Assert.Equal(0, subscription.Dropped);
    }

    [Fact]
    public async Task CallbackStyle_AndNetworkAndPoolEvents_AreDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var watcher = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        await using var actor = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        var received = new TaskCompletionSource<VirtDomainEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var callbacks = await watcher.SubscribeDomainEventsAsync(e => received.TrySetResult(e), cancellationToken: ct);
        await using var networks = await watcher.SubscribeNetworkEventsAsync(cancellationToken: ct);
        await using var pools = await watcher.SubscribeStoragePoolEventsAsync(cancellationToken: ct);

        await (await actor.LookupDomainByNameAsync("test", ct)).SuspendAsync(ct);
        await (await actor.LookupNetworkByNameAsync("default", ct)).DestroyAsync(ct);
        await (await actor.LookupStoragePoolByNameAsync("default-pool", ct)).DestroyAsync(ct);

        Assert.Equal(DomainLifecycleEvent.Suspended, (await received.Task.WaitAsync(TimeSpan.FromSeconds(10), ct)).Event);
        var net = await networks.ReadAllAsync(ct).FirstAsync(ct);
        Assert.Equal(("default", (int)NetworkLifecycleEvent.Stopped), (net.Name, net.Event));
        var pool = await pools.ReadAllAsync(ct).FirstAsync(ct);
        Assert.Equal(("default-pool", (int)StoragePoolLifecycleEvent.Stopped), (pool.Name, pool.Event));
    }

    [Fact]
    public async Task ThousandConcurrentCalls_OnOneConnection_AllCorrect()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var conn = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        var domain = await conn.LookupDomainByNameAsync("test", ct);
        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i => i % 2 == 0
            ? (await domain.GetMaxMemoryAsync(ct)).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : await domain.GetOsTypeAsync(ct)));
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(i % 2 == 0 ? "8388608" : "linux", results[i]);
        }
    }
}
