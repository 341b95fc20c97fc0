using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;
using static Virtwire.Drivers.Tests.Fixture;

namespace Virtwire.Drivers.Tests;

/// <summary>test:///default starts as libvirt 9.0's test driver does (outputs recorded from libvirtd).</summary>
public sealed class DefaultStateTests
{
    internal const string TestDomainXml = """
        <domain type='test' id='1'>
          <name>test</name>
          <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
          <memory unit='KiB'>8388608</memory>
          <currentMemory unit='KiB'>2097152</currentMemory>
          <vcpu placement='static'>2</vcpu>
          <os>
            <type arch='i686'>hvm</type>
            <boot dev='hd'/>
          </os>
          <clock offset='utc'/>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <disk type='file' device='disk'>
              <source file='/guest/diskimage1'/>
              <target dev='vda' bus='virtio'/>
              <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
            </disk>
            <interface type='network'>
              <mac address='aa:bb:cc:dd:ee:ff'/>
              <source network='default'/>
              <target dev='testnet0'/>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
            </interface>
            <memballoon model='virtio'>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
            </memballoon>
          </devices>
        </domain>

        """;

    [Fact]
    public async Task Default_ListAll_HasRunningTestDomain()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var all = await c.ListDomainsAsync(ListDomainsFlags.None, Ct);
        var test = Assert.Single(all);
        Assert.Equal(new DomainRef("test", XdrUuid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f"), 1), test);
        Assert.Equal(new DomainInfo(DomainState.Running, 8388608, 2097152, 2, 0), (await c.GetDomainInfoAsync(test, Ct)) with { CpuTimeNs = 0 });
        Assert.Equal((DomainState.Running, 0), await c.GetDomainStateAsync(test, 0, Ct));
        Assert.True(await c.IsDomainPersistentAsync(test, Ct));
        Assert.True(await c.IsDomainActiveAsync(test, Ct));
        Assert.False(await c.GetDomainAutostartAsync(test, Ct));
        Assert.False(await c.HasManagedSaveImageAsync(test, 0, Ct));
        Assert.Equal(0, await c.GetSnapshotCountAsync(test, 0, Ct));
        Assert.Equal("linux", await c.GetDomainOsTypeAsync(test, Ct));
        Assert.Equal(2, await c.GetDomainMaxVcpusAsync(test, Ct));
        Assert.Equal(8388608ul, await c.GetDomainMaxMemoryAsync(test, Ct));
        Assert.Equal(("libvirt-test", true), await c.GetSecurityLabelAsync(test, Ct));
    }

    [Fact]
    public async Task Default_DomainXml_MatchesLibvirtDump()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        Assert.Equal(TestDomainXml, await c.GetDomainXmlAsync(test, DomainXmlFlags.None, Ct));
        Assert.Equal(TestDomainXml.Replace(" id='1'", "", StringComparison.Ordinal), await c.GetDomainXmlAsync(test, DomainXmlFlags.Inactive, Ct));
    }

    [Fact]
    public async Task Default_Node_MatchesLibvirt()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        Assert.Equal(new NodeInfo("i686", 3145728, 16, 1400, 2, 2, 2, 2), await c.GetNodeInfoAsync(Ct));
        Assert.Equal(3145728ul, await c.GetFreeMemoryAsync(Ct));
        Assert.Equal([2097152ul, 4194304ul], await c.GetCellsFreeMemoryAsync(0, 10, Ct));
        Assert.Equal([4194304ul], await c.GetCellsFreeMemoryAsync(1, 10, Ct));
        await DriverAssert.FailsAsync(() => c.GetCellsFreeMemoryAsync(2, 10, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "invalid argument: Range exceeds available cells");
        Assert.Equal("TEST", await c.GetTypeAsync(Ct));
        Assert.Equal(2ul, await c.GetVersionAsync(Ct));
        Assert.Equal(32, await c.GetMaxVcpusAsync(null, Ct));
        Assert.Equal(Environment.MachineName, await c.GetHostnameAsync(Ct));
        Assert.Equal(("testSecurity", ""), await c.GetSecurityModelAsync(Ct));
        Assert.StartsWith("<capabilities>", await c.GetCapabilitiesAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("<sysinfo", await c.GetSysinfoAsync(0, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_Network_MatchesLibvirt()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var net = Assert.Single(await c.ListNetworksAsync(ListNetworksFlags.None, Ct));
        Assert.Equal(new NetworkRef("default", XdrUuid.Parse("dd8fe884-6c02-601e-7551-cca97df1c5df")), net);
        Assert.Equal("virbr0", await c.GetNetworkBridgeNameAsync(net, Ct));
        Assert.True(await c.IsNetworkActiveAsync(net, Ct));
        Assert.True(await c.IsNetworkPersistentAsync(net, Ct));
        Assert.Equal("""
            <network>
              <name>default</name>
              <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
              <forward mode='nat'/>
              <bridge name='virbr0' stp='on' delay='0'/>
              <ip address='192.168.122.1' netmask='255.255.255.0'>
                <dhcp>
                  <range start='192.168.122.2' end='192.168.122.254'/>
                </dhcp>
              </ip>
            </network>

            """, await c.GetNetworkXmlAsync(net, 0, Ct));
    }

    [Fact]
    public async Task Default_Pool_MatchesLibvirt()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var pool = Assert.Single(await c.ListStoragePoolsAsync(ListStoragePoolsFlags.None, Ct));
        Assert.Equal("default-pool", pool.Name);
        Assert.Equal(new StoragePoolInfo(StoragePoolState.Running, 107374182400, 0, 107374182400), await c.GetStoragePoolInfoAsync(pool, Ct));
        Assert.Empty(await c.ListStorageVolumesAsync(pool, Ct));
        Assert.Equal("""
            <pool type='dir'>
              <name>default-pool</name>
              <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
              <capacity unit='bytes'>107374182400</capacity>
              <allocation unit='bytes'>0</allocation>
              <available unit='bytes'>107374182400</available>
              <source>
              </source>
              <target>
                <path>/default-pool</path>
              </target>
            </pool>

            """, await c.GetStoragePoolXmlAsync(pool, 0, Ct));
    }

    [Fact]
    public async Task Lookup_Missing_BareDomainNotFound()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        foreach (var call in new Func<ValueTask<DomainRef>>[]
        {
            () => c.LookupDomainByNameAsync("nosuch", Ct),
            () => c.LookupDomainByIdAsync(77, Ct),
            () => c.LookupDomainByUuidAsync(XdrUuid.Parse("6695eb01-f6a4-8304-79aa-97f2502e1900"), Ct),
        })
        {
            var error = await DriverAssert.FailsAsync(call, VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found");
            Assert.Null(error.Str2);
        }

        await DriverAssert.FailsAsync(() => c.LookupNetworkByNameAsync("nosuch", Ct), VirtErrorCode.NoNetwork, VirtErrorDomain.Test,
            "Network not found: no network with matching name 'nosuch'");
        await DriverAssert.FailsAsync(() => c.LookupStoragePoolByNameAsync("nosuch", Ct), VirtErrorCode.NoStoragePool, VirtErrorDomain.Test,
            "Storage pool not found: no storage pool with matching name 'nosuch'");
    }

    [Fact]
    public async Task StaleHandle_NamesUuidAndName()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var stale = new DomainRef("gone", XdrUuid.Parse("5e5e5a69-ef95-4543-a2b4-367dd80520c8"), -1);
        await DriverAssert.FailsAsync(() => c.GetDomainInfoAsync(stale, Ct), VirtErrorCode.NoDomain, VirtErrorDomain.Test,
            "Domain not found: no domain with matching uuid '5e5e5a69-ef95-4543-a2b4-367dd80520c8' (gone)");
    }

    [Fact]
    public async Task Sysinfo_UnknownFlags_Rejected()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var error = await DriverAssert.FailsAsync(() => c.GetSysinfoAsync(1, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "unsupported flags (0x1) in function testConnectGetSysinfo");
        Assert.Equal(("testConnectGetSysinfo", "flags"), (error.Str1, error.Str2));
    }
}
