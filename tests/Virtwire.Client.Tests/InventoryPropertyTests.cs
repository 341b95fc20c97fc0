using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Client.Tests;

/// <summary>
/// Random define/start/suspend/resume/destroy/undefine sequences from several clients: at every quiescent
/// point the live inventory equals a fresh list-all.
/// </summary>
[Collection(SharedDefaultCollection.Name)]
public sealed class InventoryPropertyTests
{
    private static string Xml(int i) =>
        $"<domain type='test'><name>p{i}</name><uuid>5a5a5a5a-0000-4000-8000-{i:D12}</uuid><memory>{1024 * (i + 1)}</memory><os><type>hvm</type></os></domain>";

    /// <summary>Waits until the inventory has applied everything before a marker define/undefine.</summary>
    private static async Task QuiesceAsync(VirtConnection actor, IAsyncEnumerator<VirtInventoryChange> changes, int round, CancellationToken ct)
    {
        var name = $"marker{round}";
        var domain = await actor.DefineDomainAsync($"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os></domain>", cancellationToken: ct);
        await WaitForAsync(changes, VirtInventoryChangeKind.Added, name);
        await domain.UndefineAsync(cancellationToken: ct);
        await WaitForAsync(changes, VirtInventoryChangeKind.Removed, name);
    }

    private static async Task WaitForAsync(IAsyncEnumerator<VirtInventoryChange> changes, VirtInventoryChangeKind kind, string name)
    {
        while (await changes.MoveNextAsync())
        {
            if (changes.Current.Kind == kind && changes.Current.Entry?.Name == name)
            {
                return;
            }
        }

        Assert.Fail($"the inventory ended before {kind} {name}");
    }

    private static async Task<string> SnapshotAsync(VirtConnection connection, CancellationToken ct)
    {
        var rows = new List<string>();
        foreach (var d in await connection.ListAllDomainsAsync(cancellationToken: ct))
        {
            var (state, reason) = await d.GetStateAsync(ct);
            rows.Add($"{d.Uuid} {d.Name} {d.Id} {state} {reason} {await d.IsPersistentAsync(ct)}");
        }

        return string.Join("\n", rows.Order(StringComparer.Ordinal));
    }

    private static string Snapshot(VirtInventory inventory) =>
        string.Join("\n", inventory.Domains.Values.Select(e => $"{e.Uuid} {e.Name} {e.Id} {e.State} {e.Reason} {e.Persistent}").Order(StringComparer.Ordinal));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomOperationsFromSeveralClients_InventoryEqualsAFreshListing(int seed)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var inventory = await VirtInventory.StartAsync("test:///default", cancellationToken: ct);
        var changes = inventory.ChangesAsync(ct).GetAsyncEnumerator(ct);
        var clients = new List<VirtConnection>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await VirtConnection.OpenAsync("test:///default", cancellationToken: ct));
        }

        try
        {
            for (var round = 0; round < 15; round++)
            {
                await Task.WhenAll(clients.Select(async (client, c) =>
                {
                    var random = new Random((seed * 1000) + (round * 10) + c);
                    for (var step = 0; step < 8; step++)
                    {
                        var i = random.Next(6);
                        try
                        {
                            switch (random.Next(6))
                            {
                                case 0:
                                    await client.DefineDomainAsync(Xml(i), cancellationToken: ct);
                                    break;
                                case 1:
                                    await (await client.LookupDomainByNameAsync($"p{i}", ct)).StartAsync(cancellationToken: ct);
                                    break;
                                case 2:
                                    await (await client.LookupDomainByNameAsync($"p{i}", ct)).SuspendAsync(ct);
                                    break;
                                case 3:
                                    await (await client.LookupDomainByNameAsync($"p{i}", ct)).ResumeAsync(ct);
                                    break;
                                case 4:
                                    await (await client.LookupDomainByNameAsync($"p{i}", ct)).DestroyAsync(cancellationToken: ct);
                                    break;
                                default:
                                    await (await client.LookupDomainByNameAsync($"p{i}", ct)).UndefineAsync(cancellationToken: ct);
                                    break;
                            }
                        }
                        catch (VirtException ex) when (ex is not VirtConnectionException)
                        {
                            // Invalid in the current state (already running, not found, …): part of the random walk.
                        }
                    }
                }));

                await QuiesceAsync(clients[0], changes, round, ct);
                Assert.Equal(await SnapshotAsync(clients[0], ct), Snapshot(inventory));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            await changes.DisposeAsync();
        }
    }
}
