using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using static Virtwire.Drivers.Tests.Fixture;

namespace Virtwire.Drivers.Tests;

/// <summary>test:///PATH.xml: libvirt's custom node format, private to its connection (behaviour recorded from libvirt 9.0).</summary>
public sealed class NodeFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("virtwire-node-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string NodeFile() => Write("node.xml", """
        <node>
          <cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads><active>6</active><mhz>2000</mhz><model>x86_64</model></cpu>
          <memory>8192000</memory>
          <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
            <name>a</name><memory>1024</memory><os><type>hvm</type></os>
          </domain>
          <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
            <name>b</name><memory>1024</memory><os><type>hvm</type></os>
            <test:runstate>5</test:runstate>
          </domain>
          <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
            <name>c</name><memory>1024</memory><os><type>hvm</type></os>
            <test:runstate>3</test:runstate><test:transient/>
          </domain>
          <domain file='dom.xml'/>
          <network><name>n</name><bridge name='b0'/></network>
          <pool type='dir'><name>p</name><target><path>/p</path></target>
            <volume><name>v.img</name><capacity>1000</capacity></volume>
          </pool>
        </node>
        """);

    [Fact]
    public async Task CustomNode_LoadsAsLibvirt()
    {
        Write("dom.xml", "<domain type='test'><name>d</name><memory>2048</memory><os><type>hvm</type></os></domain>");
        await using var c = await new TestDriver().OpenAsync(new Uri("test://" + NodeFile()), false, Ct);
        Assert.Equal(new NodeInfo("x86_64", 8192000, 6, 2000, 1, 1, 4, 2), await c.GetNodeInfoAsync(Ct));
        Assert.Equal(0ul, await c.GetFreeMemoryAsync(Ct));
        await DriverAssert.FailsAsync(() => c.GetCellsFreeMemoryAsync(0, 5, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "invalid argument: Range exceeds available cells");

        async Task<(int Id, DomainState State, int Reason, bool Persistent)> Describe(string name)
        {
            var d = await c.LookupDomainByNameAsync(name, Ct);
            var (state, reason) = await c.GetDomainStateAsync(d, 0, Ct);
            return (d.Id, state, reason, await c.IsDomainPersistentAsync(d, Ct));
        }

        Assert.Equal((1, DomainState.Running, 0, true), await Describe("a"));
        Assert.Equal((-1, DomainState.Shutoff, 0, true), await Describe("b"));
        Assert.Equal((2, DomainState.Paused, 0, false), await Describe("c"));
        Assert.Equal((3, DomainState.Running, 0, true), await Describe("d"));

        var net = await c.LookupNetworkByNameAsync("n", Ct);
        Assert.True(await c.IsNetworkActiveAsync(net, Ct));
        Assert.Equal("b0", await c.GetNetworkBridgeNameAsync(net, Ct));

        var pool = await c.LookupStoragePoolByNameAsync("p", Ct);
        Assert.Equal(new StoragePoolInfo(StoragePoolState.Running, 107374182400, 1000, 107374181400), await c.GetStoragePoolInfoAsync(pool, Ct));
        var volume = Assert.Single(await c.ListStorageVolumesAsync(pool, Ct));
        Assert.Equal(new StorageVolRef("p", "v.img", "/p/v.img"), volume);
        Assert.Equal(new StorageVolInfo(0, 1000, 1000), await c.GetStorageVolInfoAsync(volume, Ct));
        Assert.Equal("""
            <volume type='file'>
              <name>v.img</name>
              <key>/p/v.img</key>
              <capacity unit='bytes'>1000</capacity>
              <allocation unit='bytes'>1000</allocation>
              <target>
                <path>/p/v.img</path>
                <format type='raw'/>
              </target>
            </volume>

            """, await c.GetStorageVolXmlAsync(volume, 0, Ct));
    }

    [Fact]
    public async Task CustomNode_PrivateToEachConnection()
    {
        Write("dom.xml", "<domain type='test'><name>d</name><memory>2048</memory><os><type>hvm</type></os></domain>");
        var driver = new TestDriver();
        var uri = new Uri("test://" + NodeFile());
        await using var first = await driver.OpenAsync(uri, false, Ct);
        await using var second = await driver.OpenAsync(uri, false, Ct);
        await first.DestroyDomainAsync(await first.LookupDomainByNameAsync("a", Ct), DomainDestroyFlags.None, Ct);
        Assert.Equal(1, (await second.LookupDomainByNameAsync("a", Ct)).Id);
    }

    [Fact]
    public async Task CustomNode_WrongRoot_XmlError()
    {
        var path = Write("dom.xml", "<domain type='test'><name>d</name></domain>");
        await DriverAssert.FailsAsync(() => new TestDriver().OpenAsync(new Uri("test://" + path), false, Ct), VirtErrorCode.XmlError, VirtErrorDomain.Xml,
            "XML error: expecting root element of 'node', not 'domain'");
    }
}
