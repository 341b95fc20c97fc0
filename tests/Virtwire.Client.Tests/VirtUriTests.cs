using Virtwire.Client;

namespace Virtwire.Client.Tests;

public sealed class VirtUriTests
{
    [Theory]
    [InlineData("test:///default", "test", VirtTransport.InProcess, null, null, "test:///default")]
    [InlineData("test+unix:///default?socket=/tmp/s", "test", VirtTransport.Unix, null, null, "test:///default")]
    [InlineData("qemu:///system", "qemu", VirtTransport.Unix, null, null, "qemu:///system")]
    [InlineData("qemu+unix:///system?socket=/x/y", "qemu", VirtTransport.Unix, null, null, "qemu:///system")]
    [InlineData("qemu+tcp://h/system", "qemu", VirtTransport.Tcp, "h", 16509, "qemu:///system")]
    [InlineData("qemu+TCP://h:1234/system", "qemu", VirtTransport.Tcp, "h", 1234, "qemu:///system")]
    [InlineData("qemu+tls://h:1234/system", "qemu", VirtTransport.Tls, "h", 1234, "qemu:///system")]
    [InlineData("qemu://h/system", "qemu", VirtTransport.Tls, "h", 16514, "qemu:///system")]
    [InlineData("qemu+ssh://root@h/system", "qemu", VirtTransport.Ssh, "h", 16509, "qemu:///system")]
    [InlineData("qemu+ssh://h/system?foo=bar&keyfile=/k", "qemu", VirtTransport.Ssh, "h", 16509, "qemu:///system?foo=bar")]
    [InlineData("remote+tcp://h/", "remote", VirtTransport.Tcp, "h", 16509, "")]
    [InlineData("qemu+tcp://h/system?name=qemu:///session", "qemu", VirtTransport.Tcp, "h", 16509, "qemu:///session")]
    [InlineData("qemu+tcp://[::1]:99/system", "qemu", VirtTransport.Tcp, "::1", 99, "qemu:///system")]
    public void Parse_FollowsLibvirtsRules(string text, string driver, VirtTransport transport, string? host, int? port, string openName)
    {
        var uri = VirtUri.Parse(text);
        Assert.Equal(driver, uri.Driver);
        Assert.Equal(transport, uri.Transport);
        Assert.Equal(host, uri.Host);
        if (port is not null)
        {
            Assert.Equal(port, uri.EffectivePort);
        }

        Assert.Equal(openName, uri.OpenName);
    }

    [Fact]
    public void UserAndSocketParameters_AreKept()
    {
        var uri = VirtUri.Parse("qemu+ssh://alice@host:2222/system?socket=/run/x&no_verify=1");
        Assert.Equal("alice", uri.User);
        Assert.Equal(2222, uri.Port);
        Assert.Equal("/run/x", uri.SocketPath(readOnly: false));
        Assert.Equal("1", uri["no_verify"]);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("qemu+carrier-pigeon://h/system")]
    [InlineData("qemu+unix://host/system")]
    [InlineData("qemu+tcp://h:99999/system")]
    public void Invalid_GivesAVirtException(string text) =>
        Assert.Equal(Virtwire.Rpc.VirtErrorCode.InvalidArg, Assert.Throws<VirtException>(() => VirtUri.Parse(text)).Code);
}
