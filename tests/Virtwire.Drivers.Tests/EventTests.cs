using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using static Virtwire.Drivers.Tests.Fixture;
using static Virtwire.Drivers.Tests.LifecycleTests;

namespace Virtwire.Drivers.Tests;

/// <summary>Events reach every connection sharing the state, with libvirt's event, detail and domain id (recorded from libvirtd 9.0).</summary>
public sealed class EventTests
{
    private static DomainLifecycleDriverEvent Life(DomainRef d, int id, DomainLifecycleEvent e, int detail) => new(d with { Id = id }, e, detail);

    [Fact]
    public async Task DomainLifecycle_SeenByOtherConnection()
    {
        var driver = new TestDriver();
        await using var actor = await OpenDefaultAsync(driver);
        await using var watcher = await OpenDefaultAsync(driver);
        using var log = new EventLog(watcher);
        var test = await actor.LookupDomainByNameAsync("test", Ct);

        await actor.SuspendDomainAsync(test, Ct);
        await actor.ResumeDomainAsync(test, Ct);
        await actor.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct);
        await actor.StartDomainAsync(test, DomainCreateFlags.None, Ct);
        await actor.ShutdownDomainAsync(test, 0, Ct);
        await actor.StartDomainAsync(test, DomainCreateFlags.None, Ct);
        await actor.RebootDomainAsync(test, 0, Ct);
        var tr = await actor.CreateDomainAsync(Minimal("tr"), DomainCreateFlags.None, Ct);
        await actor.DestroyDomainAsync(tr, DomainDestroyFlags.None, Ct);
        var x = await actor.DefineDomainAsync(Minimal("x"), 0, Ct);
        await actor.StartDomainAsync(x, DomainCreateFlags.None, Ct);
        await actor.UndefineDomainAsync(x, DomainUndefineFlags.None, Ct);
        await actor.DestroyDomainAsync(x, DomainDestroyFlags.None, Ct);

        Assert.Equal(
            [
                Life(test, 1, DomainLifecycleEvent.Suspended, 0),
                Life(test, 1, DomainLifecycleEvent.Resumed, 0),
                Life(test, -1, DomainLifecycleEvent.Stopped, (int)DomainEventStoppedDetail.Destroyed),
                Life(test, 2, DomainLifecycleEvent.Started, 0),
                Life(test, -1, DomainLifecycleEvent.Stopped, (int)DomainEventStoppedDetail.Shutdown),
                Life(test, 3, DomainLifecycleEvent.Started, 0),

                // A reboot that restarts in place raises nothing; a transient domain keeps its id when it stops.
                Life(tr, 4, DomainLifecycleEvent.Started, 0),
                Life(tr, 4, DomainLifecycleEvent.Stopped, (int)DomainEventStoppedDetail.Destroyed),
                Life(x, -1, DomainLifecycleEvent.Defined, 0),
                Life(x, 5, DomainLifecycleEvent.Started, 0),
                Life(x, 5, DomainLifecycleEvent.Undefined, 0),
                Life(x, -1, DomainLifecycleEvent.Stopped, (int)DomainEventStoppedDetail.Destroyed),
            ],
            log.Events);
    }

    [Fact]
    public async Task NetworkAndPoolLifecycle_Raised()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        using var log = new EventLog(c);
        var net = await c.LookupNetworkByNameAsync("default", Ct);
        await c.DestroyNetworkAsync(net, Ct);
        await c.StartNetworkAsync(net, Ct);
        var pool = await c.LookupStoragePoolByNameAsync("default-pool", Ct);
        await c.DestroyStoragePoolAsync(pool, Ct);
        await c.BuildStoragePoolAsync(pool, 0, Ct);
        await c.DeleteStoragePoolAsync(pool, 0, Ct);
        await c.StartStoragePoolAsync(pool, 0, Ct);
        await c.RefreshStoragePoolAsync(pool, 0, Ct);
        Assert.Equal(
            [
                new NetworkLifecycleDriverEvent(net, NetworkLifecycleEvent.Stopped, 0),
                new NetworkLifecycleDriverEvent(net, NetworkLifecycleEvent.Started, 0),
                new StoragePoolLifecycleDriverEvent(pool, StoragePoolLifecycleEvent.Stopped, 0),
                new StoragePoolLifecycleDriverEvent(pool, StoragePoolLifecycleEvent.Created, 0),
                new StoragePoolLifecycleDriverEvent(pool, StoragePoolLifecycleEvent.Deleted, 0),
                new StoragePoolLifecycleDriverEvent(pool, StoragePoolLifecycleEvent.Started, 0),
                new StoragePoolRefreshDriverEvent(pool),
            ],
            log.Events);
    }

    [Fact]
    public async Task FailedCall_RaisesNothing_UnsubscribeStops()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var log = new EventLog(c);
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await Assert.ThrowsAsync<Virtwire.Rpc.RpcRemoteException>(async () => await c.ResumeDomainAsync(test, Ct));
        Assert.Empty(log.Events);
        log.Dispose();
        await c.SuspendDomainAsync(test, Ct);
        Assert.Empty(log.Events);
    }

    [Fact]
    public async Task Handler_MayCallBackIntoDriver()
    {
        // Events are raised after the state lock is released, so a handler can query the driver.
        await using var c = await OpenDefaultAsync(new TestDriver());
        var seen = new TaskCompletionSource<DomainState>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = c.SubscribeEvents(e =>
        {
            if (e is DomainLifecycleDriverEvent life)
            {
                seen.TrySetResult(c.GetDomainStateAsync(life.Domain, 0, CancellationToken.None).AsTask().GetAwaiter().GetResult().State);
            }
        });
        await c.SuspendDomainAsync(await c.LookupDomainByNameAsync("test", Ct), Ct);
        Assert.Equal(DomainState.Paused, await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Metadata_RaisesMetadataChange()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        using var log = new EventLog(c);
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.SetDomainMetadataAsync(test, DomainMetadataType.Title, "t", null, null, 0, Ct);
        Assert.Equal([new DomainMetadataChangeDriverEvent(test, DomainMetadataType.Title, null)], log.Events);
    }
}
