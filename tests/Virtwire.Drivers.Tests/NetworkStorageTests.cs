using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using static Virtwire.Drivers.Tests.Fixture;

namespace Virtwire.Drivers.Tests;

/// <summary>Networks, pools and volumes: states, flags, formats and errors as libvirtd 9.0's test driver answered.</summary>
public sealed class NetworkStorageTests
{
    private const string N1 = "<network><name>n1</name><bridge name='br5'/><forward mode='nat'/><ip address='10.0.0.1' netmask='255.255.255.0'/></network>";

    [Fact]
    public async Task Network_DefineStartListUndefine()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var n1 = await c.DefineNetworkAsync(N1, Ct);
        Assert.Equal($"""
            <network>
              <name>n1</name>
              <uuid>{n1.Uuid}</uuid>
              <forward mode='nat'/>
              <bridge name='br5' stp='on' delay='0'/>
              <ip address='10.0.0.1' netmask='255.255.255.0'>
              </ip>
            </network>

            """, await c.GetNetworkXmlAsync(n1, 0, Ct));
        Assert.False(await c.IsNetworkActiveAsync(n1, Ct));
        await DriverAssert.FailsAsync(() => c.DefineNetworkAsync(N1, Ct), VirtErrorCode.OperationFailed, VirtErrorDomain.Network,
            $"operation failed: network 'n1' already exists with uuid {n1.Uuid}");

        await c.StartNetworkAsync(n1, Ct);
        await DriverAssert.FailsAsync(() => c.StartNetworkAsync(n1, Ct), VirtErrorCode.OperationInvalid, VirtErrorDomain.Test,
            "Requested operation is not valid: Network 'n1' is already running");
        await DriverAssert.FailsAsync(() => c.UndefineNetworkAsync(n1, Ct), VirtErrorCode.OperationInvalid, VirtErrorDomain.Test,
            "Requested operation is not valid: Network 'n1' is still running");
        await c.SetNetworkAutostartAsync(n1, true, Ct);

        async Task<string> Names(uint flags) => string.Join(',', (await c.ListNetworksAsync((ListNetworksFlags)flags, Ct)).Select(n => n.Name));
        var def = await c.LookupNetworkByNameAsync("default", Ct);
        await c.DestroyNetworkAsync(def, Ct);
        Assert.Equal(("default", "n1", "default,n1", "", "n1", "default"), (await Names(1), await Names(2), await Names(4), await Names(8), await Names(16), await Names(32)));

        await c.DestroyNetworkAsync(n1, Ct);
        await c.UndefineNetworkAsync(n1, Ct);
        await DriverAssert.FailsAsync(() => c.GetNetworkXmlAsync(n1, 0, Ct), VirtErrorCode.NoNetwork, VirtErrorDomain.Test,
            "Network not found: no network with matching name 'n1'");
    }

    [Fact]
    public async Task Network_TransientGoneWhenDestroyed_NoBridgeError()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var n2 = await c.CreateNetworkAsync("<network><name>n2</name></network>", Ct);
        Assert.False(await c.IsNetworkPersistentAsync(n2, Ct));
        await DriverAssert.FailsAsync(() => c.GetNetworkBridgeNameAsync(n2, Ct), VirtErrorCode.InternalError, VirtErrorDomain.Test,
            "internal error: network 'n2' does not have a bridge name.");
        Assert.Contains("  <bridge stp='on' delay='0'/>\n", await c.GetNetworkXmlAsync(n2, 0, Ct), StringComparison.Ordinal);
        await c.DestroyNetworkAsync(n2, Ct);
        await DriverAssert.FailsAsync(() => c.LookupNetworkByNameAsync("n2", Ct), VirtErrorCode.NoNetwork, VirtErrorDomain.Test,
            "Network not found: no network with matching name 'n2'");
    }

    [Theory]
    [InlineData("<network/>", VirtErrorCode.NoName, VirtErrorDomain.Network, "missing name information")]
    [InlineData("<pool/>", VirtErrorCode.XmlError, VirtErrorDomain.Xml, "XML error: expecting root element of 'network', not 'pool'")]
    public async Task Network_InvalidXml(string xml, VirtErrorCode code, VirtErrorDomain domain, string message)
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        await DriverAssert.FailsAsync(() => c.DefineNetworkAsync(xml, Ct), code, domain, message);
    }

    private const string P1 = "<pool type='dir'><name>p1</name><target><path>/p1</path></target></pool>";

    [Fact]
    public async Task Pool_StatesAndErrors()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var pool = await c.LookupStoragePoolByNameAsync("default-pool", Ct);
        foreach (var call in new Func<ValueTask>[]
        {
            () => c.StartStoragePoolAsync(pool, 0, Ct),
            () => c.UndefineStoragePoolAsync(pool, Ct),
            () => c.BuildStoragePoolAsync(pool, 0, Ct),
            () => c.DeleteStoragePoolAsync(pool, 0, Ct),
        })
        {
            await DriverAssert.FailsAsync(call, VirtErrorCode.OperationInvalid, VirtErrorDomain.Test, "Requested operation is not valid: storage pool 'default-pool' is active");
        }

        await c.RefreshStoragePoolAsync(pool, 0, Ct);
        await c.DestroyStoragePoolAsync(pool, Ct);
        Assert.Equal(StoragePoolState.Inactive, (await c.GetStoragePoolInfoAsync(pool, Ct)).State);
        foreach (var call in new Func<ValueTask>[] { () => c.DestroyStoragePoolAsync(pool, Ct), () => c.RefreshStoragePoolAsync(pool, 0, Ct) })
        {
            await DriverAssert.FailsAsync(call, VirtErrorCode.OperationInvalid, VirtErrorDomain.Test, "Requested operation is not valid: storage pool 'default-pool' is not active");
        }

        await DriverAssert.FailsAsync(() => c.ListStorageVolumesAsync(pool, Ct), VirtErrorCode.OperationInvalid, VirtErrorDomain.Test,
            "Requested operation is not valid: storage pool is not active");
    }

    [Fact]
    public async Task Pool_DefineCreateListFlags()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var p1 = await c.DefineStoragePoolAsync(P1, 0, Ct);
        Assert.Equal(new StoragePoolInfo(StoragePoolState.Inactive, 107374182400, 0, 107374182400), await c.GetStoragePoolInfoAsync(p1, Ct));
        await DriverAssert.FailsAsync(() => c.DefineStoragePoolAsync(P1, 0, Ct), VirtErrorCode.OperationFailed, VirtErrorDomain.Storage,
            $"operation failed: pool 'p1' already exists with uuid {p1.Uuid}");
        var p2 = await c.CreateStoragePoolAsync("<pool type='netfs'><name>p2</name><source><host name='h'/><dir path='/e'/><format type='nfs'/></source><target><path>/mnt</path></target></pool>", 0, Ct);
        Assert.Equal($"""
            <pool type='netfs'>
              <name>p2</name>
              <uuid>{p2.Uuid}</uuid>
              <capacity unit='bytes'>107374182400</capacity>
              <allocation unit='bytes'>0</allocation>
              <available unit='bytes'>107374182400</available>
              <source>
                <host name='h'/>
                <dir path='/e'/>
                <format type='nfs'/>
              </source>
              <target>
                <path>/mnt</path>
              </target>
            </pool>

            """, await c.GetStoragePoolXmlAsync(p2, 0, Ct));

        async Task<string> Names(uint flags) => string.Join(',', (await c.ListStoragePoolsAsync((ListStoragePoolsFlags)flags, Ct)).Select(p => p.Name));
        Assert.Equal("p1", await Names(1));
        Assert.Equal("default-pool,p2", await Names(2));
        Assert.Equal("default-pool,p1", await Names(4));
        Assert.Equal("p2", await Names(8));
        Assert.Equal("default-pool,p1", await Names(64));
        Assert.Equal("p2", await Names(256));
        Assert.Equal("", await Names(128));

        await c.DestroyStoragePoolAsync(p2, Ct);
        await DriverAssert.FailsAsync(() => c.LookupStoragePoolByNameAsync("p2", Ct), VirtErrorCode.NoStoragePool, VirtErrorDomain.Test,
            "Storage pool not found: no storage pool with matching name 'p2'");
        await c.UndefineStoragePoolAsync(p1, Ct);
        Assert.Equal("default-pool", await Names(0));
    }

    [Theory]
    [InlineData("<pool type='dir'><target><path>/p1</path></target></pool>", VirtErrorDomain.Storage, "XML error: missing pool source name element")]
    [InlineData("<pool type='zzz'><name>q</name></pool>", VirtErrorDomain.Xml, "XML error: Invalid value for attribute 'type' in element 'pool': 'zzz'.")]
    [InlineData("<pool type='dir'><name>q</name></pool>", VirtErrorDomain.Storage, "XML error: missing storage pool target path")]
    public async Task Pool_InvalidXml(string xml, VirtErrorDomain domain, string message)
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        await DriverAssert.FailsAsync(() => c.DefineStoragePoolAsync(xml, 0, Ct), VirtErrorCode.XmlError, domain, message);
    }

    [Fact]
    public async Task Volume_CreateLookupDelete()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var pool = await c.LookupStoragePoolByNameAsync("default-pool", Ct);
        var v = await c.CreateStorageVolAsync(pool, "<volume><name>v1.img</name><capacity unit='MiB'>10</capacity></volume>", 0, Ct);
        Assert.Equal(new StorageVolRef("default-pool", "v1.img", "/default-pool/v1.img"), v);
        Assert.Equal(v, await c.LookupStorageVolByPathAsync("/default-pool/v1.img", Ct));
        Assert.Equal(v, await c.LookupStorageVolByKeyAsync("/default-pool/v1.img", Ct));
        Assert.Equal(v, await c.LookupStorageVolByNameAsync(pool, "v1.img", Ct));
        Assert.Equal("/default-pool/v1.img", await c.GetStorageVolPathAsync(v, Ct));
        Assert.Equal(new StorageVolInfo(0, 10485760, 10485760), await c.GetStorageVolInfoAsync(v, Ct));
        Assert.Equal(10485760ul, (await c.GetStoragePoolInfoAsync(pool, Ct)).Allocation);
        await DriverAssert.FailsAsync(() => c.CreateStorageVolAsync(pool, "<volume><name>v1.img</name><capacity>1</capacity></volume>", 0, Ct),
            VirtErrorCode.OperationFailed, VirtErrorDomain.Test, "operation failed: storage vol 'v1.img' already exists");

        await c.DeleteStorageVolAsync(v, 0, Ct);
        Assert.Empty(await c.ListStorageVolumesAsync(pool, Ct));
        Assert.Equal(0ul, (await c.GetStoragePoolInfoAsync(pool, Ct)).Allocation);
        await DriverAssert.FailsAsync(() => c.LookupStorageVolByNameAsync(pool, "v1.img", Ct), VirtErrorCode.NoStorageVol, VirtErrorDomain.Test,
            "Storage volume not found: no storage vol with matching name 'v1.img'");
    }
}
