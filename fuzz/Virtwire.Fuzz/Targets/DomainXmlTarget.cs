using System.Text;
using Virtwire.Drivers.Qemu;
using Virtwire.Drivers.Test;
using Virtwire.Rpc;

namespace Virtwire.Fuzz.Targets;

/// <summary>
/// The domain XML parsers: the input is a document as DOMAIN_DEFINE_XML carries it, given to both the
/// test driver and the QEMU driver. Each either refuses it with libvirt's error (an
/// <see cref="RpcRemoteException"/>, which becomes the reply) or accepts it; what it accepts it must be
/// able to dump, the dump must be accepted again, and dumping that gives the same text, as virsh dumpxml
/// followed by virsh define expects.
/// </summary>
internal static class DomainXmlTarget
{
    // Invalid UTF-8 becomes U+FFFD, as the XDR string decoder would have refused it before any parser saw it.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static void Run(ReadOnlySpan<byte> input)
    {
        var xml = Utf8.GetString(input);
        TestDriverRoundTrip(xml);
        QemuRoundTrip(xml);
    }

    private static void TestDriverRoundTrip(string xml)
    {
        if (!Accepts(() => TestDomainXml.Parse(xml), out var parsed))
        {
            return;
        }

        var domain = new TestDomain { Name = parsed.Name, Uuid = parsed.Uuid };
        var dumped = TestDomainXml.Format(domain, parsed.Def, withId: false);
        var again = Reparse(() => TestDomainXml.Parse(dumped), "test driver", dumped);
        Invariant.Check(again.Name == parsed.Name && again.Uuid == parsed.Uuid, "test driver: the dump names another domain");
        var redumped = TestDomainXml.Format(new TestDomain { Name = again.Name, Uuid = again.Uuid }, again.Def, withId: false);
        Invariant.Check(redumped == dumped, $"test driver: dump changes when defined again:\n{dumped}\n---\n{redumped}");
    }

    private static void QemuRoundTrip(string xml)
    {
        if (!Accepts(() => QemuDomainDefinition.Parse(xml), out var parsed))
        {
            return;
        }

        var dumped = parsed.Format(live: null, inactive: true);
        var again = Reparse(() => QemuDomainDefinition.Parse(dumped), "QEMU driver", dumped);
        Invariant.Check(again.Name == parsed.Name && again.Uuid == parsed.Uuid, "QEMU driver: the dump names another domain");
        var redumped = again.Format(live: null, inactive: true);
        Invariant.Check(redumped == dumped, $"QEMU driver: dump changes when defined again:\n{dumped}\n---\n{redumped}");
    }

    private static bool Accepts<T>(Func<T> parse, out T result)
    {
        try
        {
            result = parse();
            return true;
        }
        catch (RpcRemoteException)
        {
            // libvirt's answer to a bad definition (XML_ERROR, XML_DETAIL, CONFIG_UNSUPPORTED, ...).
            result = default!;
            return false;
        }
    }

    private static T Reparse<T>(Func<T> parse, string driver, string dumped)
    {
        try
        {
            return parse();
        }
        catch (RpcRemoteException ex)
        {
            throw new FuzzInvariantException($"{driver}: its own dump is refused ({ex.Message}):\n{dumped}");
        }
    }
}
