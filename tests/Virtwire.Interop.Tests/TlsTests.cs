using Virtwire.Client;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>TLS with x509 client certificates: our client and real virsh against virtwired, our client against real libvirtd.</summary>
public sealed class TlsTests
{
    private static string TlsUri(DaemonProcess daemon, int tlsPort, TestPki pki) =>
        $"test+tls://127.0.0.1:{tlsPort}/default?pkipath={pki.Directory}";

    [Fact]
    public async Task Client_And_Virsh_ConnectToVirtwiredOverTls()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var pki = TestPki.Create();
        var tlsPort = LibvirtdConfig.FreePort();
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(pki.ServerConfig(tlsPort), ct);
        var uri = TlsUri(daemon, tlsPort, pki);

        await using (var conn = await VirtConnection.OpenAsync(uri, cancellationToken: ct))
        {
            Assert.Equal("test", (await conn.LookupDomainByNameAsync("test", ct)).Name);
        }

        var virsh = await DaemonPair.VirshAsync(uri, "list --all", ct);
        Assert.True(virsh.ExitCode == 0, virsh + "\n" + daemon.ReadLog());
        Assert.Contains(" 1    test   running", virsh.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_ConnectsToRealLibvirtdOverTls()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var pki = TestPki.Create();
        var tlsPort = LibvirtdConfig.FreePort();
        await using var daemon = await DaemonProcess.StartLibvirtdAsync(pki.ServerConfig(tlsPort), ct);
        await using var conn = await VirtConnection.OpenAsync(TlsUri(daemon, tlsPort, pki), cancellationToken: ct);
        Assert.Equal("TEST", await conn.GetTypeAsync(ct));
    }

    [Fact]
    public async Task ClientNotOnTheAllowedDnList_IsRefused()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var pki = TestPki.Create(clientCommonName: "intruder");
        var tlsPort = LibvirtdConfig.FreePort();
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(pki.ServerConfig(tlsPort, allowedDn: "C=GB,O=Virtwire,CN=trusted*"), ct);
        var ex = await Assert.ThrowsAnyAsync<VirtException>(async () => await VirtConnection.OpenAsync(TlsUri(daemon, tlsPort, pki), cancellationToken: ct));
        Assert.Contains("server verification", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>virsh over TLS in the cases an admin meets: allowed DN, refused DN, revoked certificate, no client certificate.</summary>
    public static TheoryData<string> Cases => ["allowed-dn", "refused-dn", "revoked", "no-client-certificate"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Virsh_OverTls_GetsWhatLibvirtdGives(string scenario)
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var pki = TestPki.Create(clientCommonName: scenario == "refused-dn" ? "intruder" : "virtwire-test-client", revokeClient: scenario == "revoked");
        if (scenario == "no-client-certificate")
        {
            pki.RemoveClientCertificate();
        }

        var results = new List<string>();
        var logs = new List<string>();
        foreach (var libvirtd in new[] { true, false })
        {
            var tlsPort = LibvirtdConfig.FreePort();
            var config = pki.ServerConfig(tlsPort, allowedDn: scenario is "allowed-dn" or "refused-dn" ? "CN=virtwire-test-*,O=Virtwire,C=GB" : null) +
                (scenario == "no-client-certificate" ? "\ntls_no_verify_certificate = 1\n" : string.Empty);
            await using var daemon = libvirtd
                ? await DaemonProcess.StartLibvirtdAsync(config, ct)
                : await DaemonProcess.StartVirtwiredAsync(config, ct);
            var virsh = await DaemonPair.VirshAsync(TlsUri(daemon, tlsPort, pki), "domname 1", ct);
            results.Add($"{virsh.ExitCode}\n{virsh.Stdout}{virsh.Stderr}");
            logs.Add(daemon.ReadLog());
        }

        Assert.Equal(results[0], results[1]);
        Assert.True(results[0].StartsWith(scenario is "allowed-dn" or "no-client-certificate" ? "0\ntest" : "1\n", StringComparison.Ordinal), results[0] + "\n" + string.Join("\n", logs));
    }
}
