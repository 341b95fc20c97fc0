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
