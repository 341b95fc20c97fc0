using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;
using static Virtwire.Drivers.Tests.Fixture;

namespace Virtwire.Drivers.Tests;

/// <summary>Definitions: parsing, libvirt's dump format, duplicates and errors, live versus persistent config.</summary>
public sealed class DefineTests
{
    private const string T2 = """
        <domain type='test'><name>t2</name><uuid>f01809c3-dba8-426a-bb55-27693723d28e</uuid>
        <memory unit='MiB'>64</memory><currentMemory>32768</currentMemory><vcpu current='1'>4</vcpu><os><type>hvm</type></os>
        <title>T</title><description>D &amp; x</description>
        <devices><interface type='network'><mac address='52:54:00:72:f3:2b'/><source network='default'/></interface>
        <disk type='file' device='disk'><source file='/x.img'/><target dev='vda' bus='virtio'/></disk></devices></domain>
        """;

    // What libvirtd 9.0 dumps for T2 (recorded).
    private const string T2Dump = """
        <domain type='test'>
          <name>t2</name>
          <uuid>f01809c3-dba8-426a-bb55-27693723d28e</uuid>
          <title>T</title>
          <description>D &amp; x</description>
          <memory unit='KiB'>65536</memory>
          <currentMemory unit='KiB'>32768</currentMemory>
          <vcpu placement='static' current='1'>4</vcpu>
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
              <source file='/x.img'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <interface type='network'>
              <mac address='52:54:00:72:f3:2b'/>
              <source network='default'/>
              <target dev='testnet0'/>
            </interface>
          </devices>
        </domain>

        """;

    [Fact]
    public async Task Define_DumpsAsLibvirt()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var t2 = await c.DefineDomainAsync(T2, 0, Ct);
        Assert.Equal(new DomainRef("t2", XdrUuid.Parse("f01809c3-dba8-426a-bb55-27693723d28e"), -1), t2);
        Assert.Equal(T2Dump, await c.GetDomainXmlAsync(t2, DomainXmlFlags.None, Ct));
        Assert.Equal((DomainState.Shutoff, 0), await c.GetDomainStateAsync(t2, 0, Ct));
        Assert.Equal(new DomainInfo(DomainState.Shutoff, 65536, 32768, 1, 0), (await c.GetDomainInfoAsync(t2, Ct)) with { CpuTimeNs = 0 });
        Assert.Equal("T", await c.GetDomainMetadataAsync(t2, DomainMetadataType.Title, null, 0, Ct));
        Assert.Equal("D & x", await c.GetDomainMetadataAsync(t2, DomainMetadataType.Description, null, 0, Ct));

        var running = await c.StartDomainAsync(t2, DomainCreateFlags.None, Ct);
        Assert.StartsWith("<domain type='test' id='2'>\n", await c.GetDomainXmlAsync(running, DomainXmlFlags.None, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Define_GeneratesMacAndIfnames()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var d = await c.DefineDomainAsync("""
            <domain type='kvm'><name>n3</name><memory>1024</memory><os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
            <clock offset='localtime'/><cpu mode='host-model'/><features><acpi/></features>
            <devices><interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>
            <interface type='network'><source network='default'/><target dev='testnet0'/></interface></devices></domain>
            """, 0, Ct);
        var xml = await c.GetDomainXmlAsync(d, DomainXmlFlags.None, Ct);
        Assert.Matches("""
            ^<domain type='kvm'>
              <name>n3</name>
              <uuid>[0-9a-f-]{36}</uuid>
              <memory unit='KiB'>1024</memory>
              <currentMemory unit='KiB'>1024</currentMemory>
              <vcpu placement='static'>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <boot dev='network'/>
              </os>
              <features>
                <acpi/>
              </features>
              <cpu mode='host-model'/>
              <clock offset='localtime'/>
              <on_poweroff>destroy</on_poweroff>
              <on_reboot>restart</on_reboot>
              <on_crash>destroy</on_crash>
              <devices>
                <interface type='bridge'>
                  <mac address='52:54:00(:[0-9a-f]{2}){3}'/>
                  <source bridge='br0'/>
                  <target dev='testnet1'/>
                  <model type='virtio'/>
                </interface>
                <interface type='network'>
                  <mac address='52:54:00(:[0-9a-f]{2}){3}'/>
                  <source network='default'/>
                  <target dev='testnet0'/>
                </interface>
              </devices>
            </domain>
            $
            """, xml);
    }

    [Fact]
    public async Task Define_SameUuid_UpdatesWithEvent()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        using var log = new EventLog(c);
        var first = await c.DefineDomainAsync(T2, 0, Ct);
        var second = await c.DefineDomainAsync(T2.Replace("<vcpu current='1'>4</vcpu>", "<vcpu>3</vcpu>", StringComparison.Ordinal), 0, Ct);
        Assert.Equal(first, second);
        Assert.Equal(3, await c.GetDomainVcpusAsync(second, DomainVcpuFlags.Current, Ct));
        Assert.Equal(
            [
                new DomainLifecycleDriverEvent(first, DomainLifecycleEvent.Defined, (int)DomainEventDefinedDetail.Added),
                new DomainLifecycleDriverEvent(first, DomainLifecycleEvent.Defined, (int)DomainEventDefinedDetail.Updated),
            ],
            log.Events);
    }

    [Fact]
    public async Task Define_RunningDomain_ChangesConfigOnly()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        var xml = await c.GetDomainXmlAsync(test, DomainXmlFlags.Inactive, Ct);
        await c.DefineDomainAsync(xml.Replace("<vcpu placement='static'>2</vcpu>", "<vcpu>4</vcpu>", StringComparison.Ordinal), 0, Ct);
        Assert.Equal(2, await c.GetDomainVcpusAsync(test, DomainVcpuFlags.Live, Ct));
        Assert.Equal(4, await c.GetDomainVcpusAsync(test, DomainVcpuFlags.Config, Ct));
        await c.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct);
        Assert.Equal(4, (await c.GetDomainInfoAsync(test, Ct)).VirtCpus);
    }

    [Theory]
    [InlineData("<domain type='test'><name>test</name><memory>1024</memory><os><type>hvm</type></os></domain>",
        VirtErrorCode.OperationFailed, VirtErrorDomain.Domain, "operation failed: domain 'test' already exists with uuid 6695eb01-f6a4-8304-79aa-97f2502e193f")]
    [InlineData("<domain type='test'><name>t3</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid><memory>1024</memory><os><type>hvm</type></os></domain>",
        VirtErrorCode.OperationFailed, VirtErrorDomain.Domain, "operation failed: domain 'test' is already defined with uuid 6695eb01-f6a4-8304-79aa-97f2502e193f")]
    [InlineData("<domain type='test'><memory>1024</memory></domain>", VirtErrorCode.NoName, VirtErrorDomain.Domain, "missing name information")]
    [InlineData("<domain type='test'><name>n</name></domain>", VirtErrorCode.XmlError, VirtErrorDomain.Domain, "XML error: an os <type> must be specified")]
    [InlineData("<domain type='test'><name>n</name><os><type>hvm</type></os></domain>", VirtErrorCode.XmlError, VirtErrorDomain.Domain,
        "XML error: Memory size must be specified via <memory> or in the <numa> configuration")]
    [InlineData("<network/>", VirtErrorCode.XmlError, VirtErrorDomain.Xml, "XML error: expecting root element of 'domain', not 'network'")]
    [InlineData("<domain type='test'><name>n</name><memory unit='foo'>1024</memory><os><type>hvm</type></os></domain>",
        VirtErrorCode.InvalidArg, VirtErrorDomain.None, "invalid argument: unknown suffix 'foo'")]
    [InlineData("<domain type='test'><name>n</name><memory>1024</memory><vcpu current='8'>2</vcpu><os><type>hvm</type></os></domain>",
        VirtErrorCode.ConfigUnsupported, VirtErrorDomain.Domain, "unsupported configuration: maximum vCPU count must not be less than current vCPU count")]
    [InlineData("<domain type='test'><name>n</name><uuid>zzz</uuid><memory>1024</memory><os><type>hvm</type></os></domain>",
        VirtErrorCode.InternalError, VirtErrorDomain.Domain, "internal error: malformed uuid element")]
    public async Task Define_Invalid_FailsAsLibvirt(string xml, VirtErrorCode code, VirtErrorDomain domain, string message)
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        await DriverAssert.FailsAsync(() => c.DefineDomainAsync(xml, 0, Ct), code, domain, message);
        Assert.Single(await c.ListDomainsAsync(ListDomainsFlags.None, Ct));
    }

    [Fact]
    public async Task Define_MalformedXml_XmlDetail()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var ex = await Assert.ThrowsAsync<RpcRemoteException>(async () => await c.DefineDomainAsync("<domain type='test'><name>n</name>", 0, Ct));
        Assert.Equal((VirtErrorCode.XmlDetail, VirtErrorDomain.Domain), (ex.Error.Code, ex.Error.Domain));
        Assert.StartsWith("(domain_definition):", ex.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Memory_LiveAndConfigSeparate()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await c.SetDomainMemoryAsync(test, 1048576, DomainModificationImpact.Live, Ct);
        Assert.Equal(1048576ul, (await c.GetDomainInfoAsync(test, Ct)).MemoryKiB);
        Assert.Contains("<currentMemory unit='KiB'>2097152</currentMemory>", await c.GetDomainXmlAsync(test, DomainXmlFlags.Inactive, Ct), StringComparison.Ordinal);

        await c.SetDomainMemoryAsync(test, 512, DomainModificationImpact.Config, Ct);
        await c.SetDomainMemoryAsync(test, 4000000, DomainModificationImpact.Config | (DomainModificationImpact)4, Ct);
        var inactive = await c.GetDomainXmlAsync(test, DomainXmlFlags.Inactive, Ct);
        Assert.Contains("<memory unit='KiB'>4000000</memory>\n  <currentMemory unit='KiB'>512</currentMemory>", inactive, StringComparison.Ordinal);
        Assert.Equal(8388608ul, await c.GetDomainMaxMemoryAsync(test, Ct));

        await DriverAssert.FailsAsync(() => c.SetDomainMemoryAsync(test, 9999999999, DomainModificationImpact.Config, Ct),
            VirtErrorCode.InvalidArg, VirtErrorDomain.Test, "invalid argument: cannot set memory higher than max memory");
        await DriverAssert.FailsAsync(() => c.SetDomainMaxMemoryAsync(test, 100000, Ct), VirtErrorCode.OperationInvalid, VirtErrorDomain.Test,
            "Requested operation is not valid: cannot resize the maximum memory on an active domain");

        await c.DestroyDomainAsync(test, DomainDestroyFlags.None, Ct);
        await DriverAssert.FailsAsync(() => c.SetDomainMemoryAsync(test, 512, DomainModificationImpact.Live, Ct),
            VirtErrorCode.OperationInvalid, VirtErrorDomain.Domain, "Requested operation is not valid: domain is not running");
        await c.SetDomainMaxMemoryAsync(test, 100, Ct);
        Assert.Equal(new DomainInfo(DomainState.Shutoff, 100, 100, 2, 0), (await c.GetDomainInfoAsync(test, Ct)) with { CpuTimeNs = 0 });
    }

    [Fact]
    public async Task Vcpus_FlagsAndErrors()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await DriverAssert.FailsAsync(() => c.SetDomainVcpusAsync(test, 9, DomainVcpuFlags.Current, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "invalid argument: requested cpu amount exceeds maximum (9 > 2)");
        await DriverAssert.FailsAsync(() => c.SetDomainVcpusAsync(test, 200, DomainVcpuFlags.Config | DomainVcpuFlags.Maximum, Ct),
            VirtErrorCode.InvalidArg, VirtErrorDomain.Test, "invalid argument: requested cpu amount exceeds maximum supported amount (200 > 32)");
        await DriverAssert.FailsAsync(() => c.SetDomainVcpusAsync(test, 0, DomainVcpuFlags.Current, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Domain,
            "nvcpus in virDomainSetVcpusFlags must not be zero");
        await DriverAssert.FailsAsync(() => c.SetDomainVcpusAsync(test, 3, DomainVcpuFlags.Maximum, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Domain,
            "Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'");
        await DriverAssert.FailsAsync(() => c.GetDomainVcpusAsync(test, DomainVcpuFlags.Guest, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "unsupported flags (0x8) in function testDomainGetVcpusFlags");

        await c.SetDomainVcpusAsync(test, 1, DomainVcpuFlags.Current, Ct);
        await c.SetDomainVcpusAsync(test, 4, DomainVcpuFlags.Config | DomainVcpuFlags.Maximum, Ct);
        Assert.Equal(1, await c.GetDomainVcpusAsync(test, DomainVcpuFlags.Current, Ct));
        Assert.Equal(4, await c.GetDomainVcpusAsync(test, DomainVcpuFlags.Config | DomainVcpuFlags.Maximum, Ct));
        Assert.Equal(2, await c.GetDomainVcpusAsync(test, DomainVcpuFlags.Config, Ct));
        Assert.Equal(2, await c.GetDomainMaxVcpusAsync(test, Ct));
        Assert.Contains("<vcpu placement='static' current='1'>2</vcpu>", await c.GetDomainXmlAsync(test, DomainXmlFlags.None, Ct), StringComparison.Ordinal);
        Assert.Contains("<vcpu placement='static' current='2'>4</vcpu>", await c.GetDomainXmlAsync(test, DomainXmlFlags.Inactive, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_TitleDescriptionElement()
    {
        await using var c = await OpenDefaultAsync(new TestDriver());
        var test = await c.LookupDomainByNameAsync("test", Ct);
        await DriverAssert.FailsAsync(() => c.GetDomainMetadataAsync(test, DomainMetadataType.Title, null, 0, Ct), VirtErrorCode.NoDomainMetadata,
            VirtErrorDomain.Domain, "metadata not found: Requested metadata element is not present");
        await c.SetDomainMetadataAsync(test, DomainMetadataType.Title, "Hello", null, null, 0, Ct);
        await c.SetDomainMetadataAsync(test, DomainMetadataType.Description, "Desc", null, null, 0, Ct);
        await c.SetDomainMetadataAsync(test, DomainMetadataType.Element, "<a/>", "k", "http://x/", 0, Ct);
        Assert.Equal("Hello", await c.GetDomainMetadataAsync(test, DomainMetadataType.Title, null, 0, Ct));
        Assert.Equal("<a/>", await c.GetDomainMetadataAsync(test, DomainMetadataType.Element, "http://x/", 0, Ct));
        Assert.Contains("""
              <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
              <title>Hello</title>
              <description>Desc</description>
              <metadata>
                <k:a xmlns:k="http://x/"/>
              </metadata>
              <memory unit='KiB'>8388608</memory>
            """, await c.GetDomainXmlAsync(test, DomainXmlFlags.None, Ct), StringComparison.Ordinal);

        await c.SetDomainMetadataAsync(test, DomainMetadataType.Element, "<a><b c='1'>t</b></a>", "k", "http://x/", 0, Ct);
        Assert.Equal("<a>\n  <b c=\"1\">t</b>\n</a>", await c.GetDomainMetadataAsync(test, DomainMetadataType.Element, "http://x/", 0, Ct));
        Assert.Contains("""
              <metadata>
                <k:a xmlns:k="http://x/">
                  <k:b c="1">t</k:b>
                </k:a>
              </metadata>
            """, await c.GetDomainXmlAsync(test, DomainXmlFlags.None, Ct), StringComparison.Ordinal);
        await DriverAssert.FailsAsync(() => c.SetDomainMetadataAsync(test, DomainMetadataType.Element, "<a/>", null, "http://y/", 0, Ct),
            VirtErrorCode.InvalidArg, VirtErrorDomain.Domain, "key in virDomainSetMetadata must not be NULL");
        await DriverAssert.FailsAsync(() => c.GetDomainXmlAsync(test, DomainXmlFlags.UpdateCpu, Ct), VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
            "unsupported flags (0x4) in function testDomainGetXMLDesc");

        // "Current" on a running domain is the live definition only.
        await DriverAssert.FailsAsync(() => c.GetDomainMetadataAsync(test, DomainMetadataType.Title, null, (uint)DomainModificationImpact.Config, Ct),
            VirtErrorCode.NoDomainMetadata, VirtErrorDomain.Domain, "metadata not found: Requested metadata element is not present");
        await c.SetDomainMetadataAsync(test, DomainMetadataType.Title, "", null, null, 0, Ct);
        var tq = await c.CreateDomainAsync(LifecycleTests.Minimal("tq"), DomainCreateFlags.None, Ct);
        await DriverAssert.FailsAsync(() => c.SetDomainMetadataAsync(tq, DomainMetadataType.Description, "x", null, null, (uint)DomainModificationImpact.Config, Ct),
            VirtErrorCode.OperationInvalid, VirtErrorDomain.Domain, "Requested operation is not valid: transient domains do not have any persistent config");
        await DriverAssert.FailsAsync(() => c.GetDomainMetadataAsync(test, DomainMetadataType.Title, null, 0, Ct), VirtErrorCode.NoDomainMetadata,
            VirtErrorDomain.Domain, "metadata not found: Requested metadata element is not present");
    }
}
