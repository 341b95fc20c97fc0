using Virtwire.Drivers.Qemu;
using Virtwire.Drivers.Test;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Tests.Issues;

/// <summary>Domain XML the fuzzing of issue 8 turned up (small inputs are also in fuzz/regressions/domain-xml).</summary>
public sealed class Issue8FuzzRegressionTests
{
    [Theory]
    [InlineData("on_poweroff", "a&amp;b", "a&b")]
    [InlineData("on_reboot", "&lt;x/&gt;", "<x/>")]
    [InlineData("on_crash", "&apos;&quot;", "'\"")]
    public void TestDriver_LifecycleActionWithMarkup_DumpParsesAgain(string element, string xmlText, string value)
    {
        var xml = $"<domain type='test'><name>t</name><memory>1024</memory><os><type>hvm</type></os><{element}>{xmlText}</{element}></domain>";
        var (name, uuid, def) = TestDomainXml.Parse(xml);

        var dump = TestDomainXml.Format(new TestDomain { Name = name, Uuid = uuid }, def, withId: false);
        var (_, _, again) = TestDomainXml.Parse(dump);

        Assert.Equal(value, element switch { "on_poweroff" => again.OnPoweroff, "on_reboot" => again.OnReboot, _ => again.OnCrash });
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("5900.5")]
    [InlineData("99999999999")]
    public void QemuDriver_GraphicsPortThatIsNotAnInt_IsAnXmlError(string port)
    {
        var ex = Assert.Throws<RpcRemoteException>(() => QemuDomainDefinition.Parse(
            $"<domain type='qemu'><name>g</name><memory>65536</memory><os><type>hvm</type></os><devices><graphics type='vnc' port='{port}'/></devices></domain>"));

        Assert.Equal(VirtErrorCode.XmlError, ex.Error.Code);
        Assert.Equal($"XML error: Invalid value for attribute 'port' in element 'graphics': '{port}'.", ex.Message);
    }

    // 20,000 levels overflowed a 1.5 MiB thread-pool stack in LINQ to XML's recursive copy before the depth limit.
    private static string Nested(string type, string container, int depth) =>
        $"<domain type='{type}'><name>deep</name><memory>1024</memory><os><type>hvm</type></os>" +
        $"<{container}>{string.Concat(Enumerable.Repeat("<a>", depth))}{string.Concat(Enumerable.Repeat("</a>", depth))}</{container}></domain>";

    [Theory]
    [InlineData("metadata")]
    [InlineData("features")]
    [InlineData("devices")]
    public void TestDriver_NestingBeyondLibxml2sLimit_IsAnXmlErrorNotAStackOverflow(string container)
    {
        var ex = Assert.Throws<RpcRemoteException>(() => OnSmallStack(() => TestDomainXml.Parse(Nested("test", container, 20_000))));

        Assert.Equal(VirtErrorCode.XmlDetail, ex.Error.Code);
        Assert.Contains("Excessive depth in document: 256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QemuDriver_NestingBeyondLibxml2sLimit_IsAnXmlErrorNotAStackOverflow()
    {
        var ex = Assert.Throws<RpcRemoteException>(() => OnSmallStack(() => QemuDomainDefinition.Parse(Nested("qemu", "metadata", 20_000))));

        Assert.Equal(VirtErrorCode.XmlError, ex.Error.Code);
        Assert.Contains("Excessive depth in document: 256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_AtTheLimit_IsAccepted()
    {
        // The root, <metadata> and 254 levels below it: 256 elements deep, as libxml2 still accepts.
        var (_, _, def) = TestDomainXml.Parse(Nested("test", "metadata", DriverXml.MaxDepth - 2));
        Assert.Single(def.Metadata);
        Assert.Throws<RpcRemoteException>(() => TestDomainXml.Parse(Nested("test", "metadata", DriverXml.MaxDepth - 1)));
        Assert.Equal("deep", QemuDomainDefinition.Parse(Nested("qemu", "metadata", DriverXml.MaxDepth - 2)).Name);
    }

    // "Billion laughs": 10 levels of 10 references each would be 10^9 characters if the entities were expanded.
    private static string Laughs(string type) =>
        "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY l0 'ha'>" +
        string.Concat(Enumerable.Range(1, 9).Select(i => $"<!ENTITY l{i} '{string.Concat(Enumerable.Repeat($"&l{i - 1};", 10))}'>")) +
        $"]><domain type='{type}'><name>&l9;</name><memory>1024</memory><os><type>hvm</type></os></domain>";

    [Fact]
    public void EntityExpansion_IsRefused_NotExpanded()
    {
        var test = Assert.Throws<RpcRemoteException>(() => TestDomainXml.Parse(Laughs("test")));
        Assert.Contains("l9", test.Message, StringComparison.Ordinal);
        var qemu = Assert.Throws<RpcRemoteException>(() => QemuDomainDefinition.Parse(Laughs("qemu")));
        Assert.Equal(VirtErrorCode.XmlError, qemu.Error.Code);
        Assert.Contains("l9", qemu.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DocumentTypeWithoutEntities_IsSkipped()
    {
        var (name, _, _) = TestDomainXml.Parse("<!DOCTYPE domain><domain type='test'><name>d</name><memory>1024</memory><os><type>hvm</type></os></domain>");
        Assert.Equal("d", name);
    }

    [Theory]
    [InlineData("100", "EiB")]
    [InlineData("18014398509481984", "KiB")]
    [InlineData("20000000000", "GB")]
    public void MemoryThatOverflows64Bits_IsLibvirtsOverflowError(string value, string unit)
    {
        var xml = $"<domain type='TYPE'><name>big</name><memory unit='{unit}'>{value}</memory><os><type>hvm</type></os></domain>";
        foreach (var parse in new Action[] { () => TestDomainXml.Parse(xml.Replace("TYPE", "test")), () => QemuDomainDefinition.Parse(xml.Replace("TYPE", "qemu")) })
        {
            var ex = Assert.Throws<RpcRemoteException>(parse);
            Assert.Equal(VirtErrorCode.Overflow, ex.Error.Code);
            Assert.Equal($"numerical overflow: value too large: {value}{unit}", ex.Message);
        }
    }

    [Fact]
    public void LargestUnitsThatFit_AreAccepted()
    {
        Assert.Equal(15UL << 60, XmlSizeUnits.ToBytes(15, "EiB"));
        Assert.Equal(1000UL * 1000 * 1000 * 1000 * 1000, XmlSizeUnits.ToBytes(1, "PB"));
        Assert.Null(XmlSizeUnits.ToBytes(1, "ZiB"));
    }

    // The daemon parses on thread-pool threads (1.5 MiB of stack), not on an 8 MiB main thread.
    private static T OnSmallStack<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    result = action();
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            },
            maxStackSize: 1536 * 1024);
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return result;
    }
}
