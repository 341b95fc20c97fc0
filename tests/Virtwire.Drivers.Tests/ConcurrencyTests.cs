using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using static Virtwire.Drivers.Tests.Fixture;
using static Virtwire.Drivers.Tests.LifecycleTests;

namespace Virtwire.Drivers.Tests;

/// <summary>Many connections calling at once keep the state consistent.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task ParallelCreateDestroy_IdsUniqueStateConsistent()
    {
        var driver = new TestDriver();
        var connections = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OpenDefaultAsync(driver)));
        var events = 0;
        using var subscription = connections[0].SubscribeEvents(_ => Interlocked.Increment(ref events));

        var ids = await Task.WhenAll(connections.SelectMany((c, i) => Enumerable.Range(0, 25).Select(j => Task.Run(async () =>
        {
            var d = await c.CreateDomainAsync(Minimal($"d{i}-{j}"), DomainCreateFlags.None, Ct);
            await c.SuspendDomainAsync(d, Ct);
            await c.ResumeDomainAsync(d, Ct);
            await c.DestroyDomainAsync(d, DomainDestroyFlags.None, Ct);
            return d.Id;
        }, Ct))));

        Assert.Equal(200, ids.Distinct().Count());
        Assert.Equal(200 * 4, Volatile.Read(ref events));
        Assert.Single(await connections[0].ListDomainsAsync(ListDomainsFlags.None, Ct));
        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task RacingSuspend_ExactlyOneWins()
    {
        var driver = new TestDriver();
        await using var c = await OpenDefaultAsync(driver);
        var test = await c.LookupDomainByNameAsync("test", Ct);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            try
            {
                await c.SuspendDomainAsync(test, Ct);
                return true;
            }
            catch (RpcRemoteException)
            {
                return false;
            }
        }, Ct)));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task ParallelChanges_EachDomainsEventsInOrder()
    {
        var driver = new TestDriver();
        await using var watcher = await OpenDefaultAsync(driver);
        using var log = new EventLog(watcher);
        var connections = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OpenDefaultAsync(driver)));
        await Task.WhenAll(connections.Select((c, i) => Task.Run(async () =>
        {
            for (var j = 0; j < 20; j++)
            {
                var d = await c.CreateDomainAsync(Minimal($"o{i}-{j}"), DomainCreateFlags.None, Ct);
                await c.SuspendDomainAsync(d, Ct);
                await c.ResumeDomainAsync(d, Ct);
                await c.DestroyDomainAsync(d, DomainDestroyFlags.None, Ct);
            }
        }, Ct)));

        var perDomain = log.Events.OfType<DomainLifecycleDriverEvent>().GroupBy(e => e.Domain.Name).ToList();
        Assert.Equal(80, perDomain.Count);
        Assert.All(perDomain, g => Assert.Equal(
            [DomainLifecycleEvent.Started, DomainLifecycleEvent.Suspended, DomainLifecycleEvent.Resumed, DomainLifecycleEvent.Stopped],
            g.Select(e => e.Event)));
        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }
    }
}
