using Virtwire.Client;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

public sealed class InventoryReconnectTests
{
    [Fact]
    public async Task Inventory_SurvivesADaemonCrash_ReconnectsAndResynchronises()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        try
        {
            await using var inventory = await VirtInventory.StartAsync(daemon.UnixUri, autoReconnect: true, cancellationToken: ct);
            await using (var actor = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct))
            {
                await (await actor.LookupDomainByNameAsync("test", ct)).SuspendAsync(ct);
            }

            var changes = inventory.ChangesAsync(ct).GetAsyncEnumerator(ct);
            Assert.True(await changes.MoveNextAsync());
            Assert.Equal(Virtwire.Protocol.DomainState.Paused, changes.Current.Entry!.State);

            // A crash and a fresh daemon: the test driver starts again with 'test' running.
            daemon = await daemon.RestartVirtwiredAsync(ct);
            var seen = new List<VirtInventoryChangeKind>();
            while (await changes.MoveNextAsync())
            {
                seen.Add(changes.Current.Kind);
                if (changes.Current.Kind == VirtInventoryChangeKind.Resynchronized)
                {
                    break;
                }
            }

            Assert.Equal(VirtInventoryChangeKind.Disconnected, seen[0]);
            Assert.Contains(VirtInventoryChangeKind.Updated, seen);
            Assert.Equal(Virtwire.Protocol.DomainState.Running, Assert.Single(inventory.Domains.Values).State);
            Assert.Equal(1, inventory.Reconnects);
            await using (var fresh = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct))
            {
                var listing = await fresh.ListAllDomainsAsync(cancellationToken: ct);
                Assert.Equal(listing.Select(d => (d.Uuid, d.Id)).Order(), inventory.Domains.Values.Select(e => (e.Uuid, e.Id)).Order());
            }

            await changes.DisposeAsync();
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }
}
