using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Client.Tests;

[Collection(SharedDefaultCollection.Name)]
public sealed class InventoryTests
{
    private const string Xml = "<domain type='test'><name>inv</name><uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a09</uuid><memory>1024</memory><os><type>hvm</type></os></domain>";

    [Fact]
    public async Task Inventory_FollowsChangesMadeElsewhere_AndMatchesAFreshListing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var actor = await VirtConnection.OpenAsync("test:///default", cancellationToken: ct);
        await using var inventory = await VirtInventory.StartAsync("test:///default", cancellationToken: ct);
        var test = Assert.Single(inventory.Domains.Values);
        Assert.Equal(("test", DomainState.Running), (test.Name, test.State));

        var changes = inventory.ChangesAsync(ct).GetAsyncEnumerator(ct);
        var defined = await actor.DefineDomainAsync(Xml, cancellationToken: ct);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((VirtInventoryChangeKind.Added, "inv", DomainState.Shutoff), (changes.Current.Kind, changes.Current.Entry!.Name, changes.Current.Entry.State));

        await defined.StartAsync(cancellationToken: ct);
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal((VirtInventoryChangeKind.Updated, DomainState.Running), (changes.Current.Kind, changes.Current.Entry!.State));

        await (await actor.LookupDomainByNameAsync("inv", ct)).DestroyAsync(cancellationToken: ct);
        Assert.True(await changes.MoveNextAsync());
        await (await actor.LookupDomainByNameAsync("inv", ct)).UndefineAsync(cancellationToken: ct);
        while (await changes.MoveNextAsync() && changes.Current.Kind != VirtInventoryChangeKind.Removed)
        {
        }

        Assert.Equal("inv", changes.Current.Entry!.Name);
        var listing = await actor.ListAllDomainsAsync(cancellationToken: ct);
        Assert.Equal(listing.Select(d => d.Uuid).Order(), inventory.Domains.Keys.Order());
        await changes.DisposeAsync();
    }
}
