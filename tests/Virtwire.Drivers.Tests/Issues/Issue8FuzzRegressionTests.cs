using Virtwire.Drivers.Test;

namespace Virtwire.Drivers.Tests.Issues;

/// <summary>Inputs the domain-xml fuzz target found (issue 8; the inputs are also in fuzz/regressions/domain-xml).</summary>
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
}
