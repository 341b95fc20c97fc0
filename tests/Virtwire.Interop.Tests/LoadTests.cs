using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.TestKit.Peers;
using Virtwire.Xdr;

namespace Virtwire.Interop.Tests;

/// <summary>
/// A short soak: 1,000 connections at once, each defining, changing, reading and removing its own domain while
/// reading the shared one. Every answer is checked; afterwards the daemon holds no more sockets than before and its
/// memory is back within bounds. (The long soak is the same with more rounds: VIRTWIRE_SOAK_ROUNDS.)
/// </summary>
public sealed class LoadTests
{
    [Fact]
    public async Task ThousandConnections_MixedReadsAndWrites_NoWrongAnswers_NothingLeaked()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("VIRTWIRE_SOAK_ROUNDS"), out var r) ? r : 3;
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(ct);

        // One long-lived connection keeps the test driver's state alive across the rounds.
        await using var anchor = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
        var sockets = ProcessProbe.Sockets(daemon.Pid);
        var rssBefore = ProcessProbe.RssKiB(daemon.Pid);
        var options = new VirtConnectionOptions { KeepaliveInterval = TimeSpan.Zero };
        var wrong = 0;

        for (var round = 0; round < rounds; round++)
        {
            var connections = new VirtConnection[1000];
            for (var i = 0; i < connections.Length; i++)
            {
                connections[i] = await VirtConnection.OpenAsync(daemon.UnixUri, options, ct);
            }

            await Task.WhenAll(connections.Select((conn, i) => Task.Run(async () =>
            {
                var name = $"load-{round}-{i}";
                var uuid = XdrUuid.NewRandom();
                var memory = (ulong)(65536 + i);
                var domain = await conn.DefineDomainAsync(
                    $"<domain type='test'><name>{name}</name><uuid>{uuid}</uuid><memory>{memory}</memory><os><type>hvm</type></os></domain>",
                    cancellationToken: ct);
                for (var call = 0; call < 10; call++)
                {
                    var found = await conn.LookupDomainByNameAsync(name, ct);
                    var info = await found.GetInfoAsync(ct);
                    var shared = await conn.LookupDomainByIdAsync(1, ct);
                    if (found.Uuid != uuid || info.MaxMemoryKiB != memory || shared.Name != "test")
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }

                await domain.StartAsync(cancellationToken: ct);
                await domain.SuspendAsync(ct);
                if ((await domain.GetStateAsync(ct)).State != DomainState.Paused)
                {
                    Interlocked.Increment(ref wrong);
                }

                await domain.DestroyAsync(cancellationToken: ct);
                await domain.UndefineAsync(cancellationToken: ct);
            }, ct)));

            foreach (var conn in connections)
            {
                await conn.DisposeAsync();
            }
        }

        Assert.Equal(0, wrong);
        var names = (await anchor.ListAllDomainsAsync(ListDomainsFlags.None, ct)).Select(d => d.Name).ToList();
        Assert.Equal(["test"], names);

        // The daemon closes its ends as the clients go; wait (bounded) for the count to settle.
        for (var attempt = 0; attempt < 200 && ProcessProbe.Sockets(daemon.Pid) > sockets; attempt++)
        {
            await Task.Delay(50, ct);
        }

        Assert.Equal(sockets, ProcessProbe.Sockets(daemon.Pid));
        Assert.True(ProcessProbe.RssKiB(daemon.Pid) < rssBefore + (200 * 1024), $"RSS {rssBefore} KiB before, {ProcessProbe.RssKiB(daemon.Pid)} KiB after");
    }
}
