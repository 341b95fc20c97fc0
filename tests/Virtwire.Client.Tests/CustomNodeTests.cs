using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Client.Tests;

/// <summary>test:///ABSOLUTE/PATH.xml loads a node description in libvirt's format, private to its connection.</summary>
public sealed class CustomNodeTests
{
    [Fact]
    public async Task CustomNodeFile_LoadsDomainsNetworksPoolsAndHostFacts()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("vw-node-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "guest2.xml"),
            "<domain type='test'><name>guest2</name><memory unit='MiB'>64</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>", ct);
        var node = Path.Combine(dir, "node.xml");
        await File.WriteAllTextAsync(node, """
            <node>
              <cpu>
                <mhz>2000</mhz>
                <model>x86_64</model>
                <nodes>1</nodes>
                <sockets>1</sockets>
                <cores>4</cores>
                <threads>1</threads>
              </cpu>
              <memory unit='GiB'>8</memory>
              <domain type='test'>
                <name>guest1</name>
                <uuid>11111111-2222-3333-4444-555555555555</uuid>
                <memory>131072</memory>
                <os><type>hvm</type></os>
              </domain>
              <domain file='guest2.xml'/>
              <network>
                <name>private</name>
                <bridge name='br9'/>
              </network>
              <pool type='dir'>
                <name>images</name>
                <target><path>/images</path></target>
              </pool>
            </node>
            """, ct);

        await using var conn = await VirtConnection.OpenAsync("test://" + node, cancellationToken: ct);
        Assert.Equal(new VirtNodeInfo("x86_64", 8 * 1024 * 1024, 4, 2000, 1, 1, 4, 1), await conn.GetNodeInfoAsync(ct));
        var domains = await conn.ListAllDomainsAsync(cancellationToken: ct);
        Assert.Equal(["guest1", "guest2"], domains.Select(d => d.Name).Order());
        Assert.All(domains, d => Assert.True(d.Id > 0));
        Assert.Equal(65536ul, (await (await conn.LookupDomainByNameAsync("guest2", ct)).GetInfoAsync(ct)).MaxMemoryKiB);
        Assert.Equal("br9", await (await conn.LookupNetworkByNameAsync("private", ct)).GetBridgeNameAsync(ct));
        Assert.Equal(StoragePoolState.Running, (await (await conn.LookupStoragePoolByNameAsync("images", ct)).GetInfoAsync(ct)).State);

        // Private to the connection: a second open of the same file starts from the file again.
        await (await conn.LookupDomainByNameAsync("guest1", ct)).DestroyAsync(cancellationToken: ct);
        await using var other = await VirtConnection.OpenAsync("test://" + node, cancellationToken: ct);
        Assert.Equal(DomainState.Running, (await (await other.LookupDomainByNameAsync("guest1", ct)).GetStateAsync(ct)).State);
    }

    [Fact]
    public async Task MissingNodeFile_IsAClearError()
    {
        var ex = await Assert.ThrowsAsync<VirtException>(async () =>
            await VirtConnection.OpenAsync("test:///nonexistent/node.xml", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("/nonexistent/node.xml", ex.Message, StringComparison.Ordinal);
    }
}
