using Virtwire.Client;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>The +ssh transport through a real sshd on loopback: Virtwire.Client against both daemons, errors as virsh prints them.</summary>
public sealed class SshTests
{
    private static void RequireSshd()
    {
        RealLibvirt.Require();
        if (!File.Exists(TestSshd.Sshd) || !File.Exists("/bin/nc"))
        {
            const string missing = "sshd and nc (Debian's openssh-server, netcat-openbsd)";
            if (RealLibvirt.IsCi)
            {
                Assert.Fail($"SSH peer missing under CI: {missing}; .ci/run installs it");
            }

            Assert.Skip("SSH peer missing: " + missing);
        }
    }

    [Fact]
    public async Task Client_OverSsh_ReachesBothDaemons_AsVirshDoes()
    {
        RequireSshd();
        var ct = TestContext.Current.CancellationToken;
        await using var sshd = await TestSshd.StartAsync(ct);
        await using var libvirtd = await DaemonProcess.StartLibvirtdAsync(ct);
        await using var virtwired = await DaemonProcess.StartVirtwiredAsync(ct);
        var seen = new List<string>();
        foreach (var daemon in new[] { libvirtd, virtwired })
        {
            var uri = sshd.Uri("test", "/default", daemon.SocketPath);
            await using (var conn = await VirtConnection.OpenAsync(uri, cancellationToken: ct))
            {
                var domains = await conn.ListAllDomainsAsync(Virtwire.Protocol.ListDomainsFlags.None, ct);
                seen.Add(string.Join(",", domains.Select(d => $"{d.Id}:{d.Name}")) + " " + await conn.GetTypeAsync(ct));
            }

            var virsh = await DaemonPair.VirshAsync(uri, "domstate test", ct);
            Assert.True(virsh.ExitCode == 0, virsh.ToString());
            seen.Add(virsh.Stdout);
        }

        Assert.Equal(["1:test TEST", "running\n\n", "1:test TEST", "running\n\n"], seen);
    }

    [Fact]
    public async Task FailingSsh_IsAClearErrorAtOnce_IdenticalToVirsh()
    {
        RequireSshd();
        var ct = TestContext.Current.CancellationToken;
        var closedPort = LibvirtdConfig.FreePort();
        var uri = $"test+ssh://root@127.0.0.1:{closedPort}/default?socket=/nonexistent&no_verify=1";
        var virsh = await DaemonPair.VirshAsync(uri, "list", ct);
        var ours = await ProcessRunner.RunAsync("dotnet", [TestKit.RepositoryRoot.BuildOutput("src/Virtwire.Cli", "virtwire.dll"), "-c", uri, "list"],
            timeout: TimeSpan.FromSeconds(60), cancellationToken: ct);
        Assert.Equal(1, ours.ExitCode);
        Assert.Equal(virsh.Stderr, ours.Stderr);
        Assert.Contains("Connection refused", ours.Stderr, StringComparison.Ordinal);

        // sshd is up but nothing listens on the remote socket: nc fails, the client reports it and returns.
        await using var sshd = await TestSshd.StartAsync(ct);
        var noDaemon = sshd.Uri("test", "/default", "/nonexistent/libvirt-sock");
        var ex = await Assert.ThrowsAsync<VirtConnectionException>(async () => await VirtConnection.OpenAsync(noDaemon, cancellationToken: ct));
        Assert.StartsWith("Cannot recv data: ", ex.Message, StringComparison.Ordinal);
    }
}
