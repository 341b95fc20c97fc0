using Virtwire.Client;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

[Collection(DaemonPairCollection.Name)]
public sealed class ClientEventTests(DaemonPair pair)
{
    private static async Task<string> EventsAsync(DaemonProcess daemon, string xmlPath, CancellationToken ct)
    {
        await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
        await using var subscription = await conn.SubscribeDomainEventsAsync(cancellationToken: ct);
        var actions = await DaemonPair.VirshAsync(daemon.UnixUri, $"suspend test; resume test; reboot test; destroy test; start test; define {xmlPath}; start ev; undefine ev; destroy ev", ct);
        Assert.Equal(0, actions.ExitCode);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        var events = await subscription.ReadAllAsync(deadline.Token).Take(8).ToListAsync(deadline.Token);
        return string.Join("\n", events.Select(e => e.IsReboot ? $"reboot {e.Domain.Name}" : $"{e.Event} {e.Detail} {e.Domain.Name}"));
    }

    [Fact]
    public async Task Client_ReceivesTheSameEventsFromLibvirtdAndVirtwired()
    {
        var (libvirtd, virtwired) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var xml = Path.Combine(Directory.CreateTempSubdirectory("vw-cev-").FullName, "ev.xml");
        await File.WriteAllTextAsync(xml, "<domain type='test'><name>ev</name><uuid>0b3b5c2e-8b54-4a9c-9d2f-3f3c2f1d0a04</uuid><memory>1024</memory><os><type>hvm</type></os></domain>", ct);
        var expected = await EventsAsync(libvirtd, xml, ct);
        Assert.StartsWith("Suspended 0 test", expected, StringComparison.Ordinal);
        Assert.Equal(expected, await EventsAsync(virtwired, xml, ct));
    }
}
