using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.TestKit;
using Virtwire.TestKit.Peers;

namespace Virtwire.Interop.Tests;

/// <summary>
/// `virtwire` prints what `virsh` prints, command by command, against real libvirtd; and Virtwire.Client
/// gets the same answers from real libvirtd as from virtwired.
/// </summary>
[Collection(DaemonPairCollection.Name)]
public sealed class CliAndClientDifferentialTests(DaemonPair pair)
{
    private static string VirtwirePath() => RepositoryRoot.BuildOutput("src/Virtwire.Cli", "virtwire.dll");

    public static TheoryData<string> Commands => new()
    {
        "list", "list --all", "list --inactive", "list --name", "list --uuid --all",
        "dominfo test", "domstate test", "domstate --reason test", "domid test", "domuuid test", "domname 1",
        "domname 6695eb01-f6a4-8304-79aa-97f2502e193f", "dumpxml test", "domstats", "domstats --state test",
        "nodeinfo", "hostname", "version", "net-list", "net-list --all", "net-info default", "pool-list", "pool-list --all",
        "pool-info default-pool", "dommemstat test", "destroy test; dommemstat test", "dominfo nosuch", "suspend nosuch", "start test", "net-info nosuch", "pool-info nosuch",
        "suspend test; domstate --reason test; suspend test; resume test; resume test; destroy test; domid test; dominfo test; start test; domid test",
        "shutdown test; domstate --reason test; list --all; start test; reboot test; autostart test; dominfo test; autostart --disable test",
        "setmem test 1048576; dominfo test; setmem test 99999999; undefine test; list --all; destroy test; list --all",
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Virtwire_PrintsWhatVirshPrints_AgainstRealLibvirtd(string command)
    {
        var (libvirtd, _) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var virsh = await DaemonPair.VirshAsync(libvirtd.TcpUri, command, ct);
        var ours = await ProcessRunner.RunAsync("dotnet", [VirtwirePath(), "-c", libvirtd.TcpUri, command], cancellationToken: ct);
        Assert.Equal(DaemonPair.Normalize(virsh.ToString(), libvirtd), DaemonPair.Normalize(ours.ToString(), libvirtd));
    }

    [Fact]
    public async Task Virtwire_SingleCommandArguments_WorkLikeVirsh()
    {
        var (libvirtd, _) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var virsh = await ProcessRunner.RunAsync(RealLibvirt.Virsh, ["-c", libvirtd.TcpUri, "dominfo", "test"], cancellationToken: ct);
        var ours = await ProcessRunner.RunAsync("dotnet", [VirtwirePath(), "-c", libvirtd.TcpUri, "dominfo", "test"], cancellationToken: ct);
        Assert.Equal(DaemonPair.Normalize(virsh.ToString(), libvirtd), DaemonPair.Normalize(ours.ToString(), libvirtd));
    }

    [Theory]
    [InlineData("test+tcp://127.0.0.1:{port}/default", "list")]
    [InlineData("test+tcp://localhost:{port}/default", "dominfo test")]
    [InlineData("test+tls://127.0.0.1:{port}/default", "list")]
    [InlineData("test+tls://127.0.0.1:{port}/default?pkipath={pki}", "list")]
    [InlineData("test+tls://127.0.0.1:{port}/default?pkipath={dir}", "list")]
    [InlineData("test+unix:///default?socket={dir}/no-such-socket", "list")]
    [InlineData("test+tcp://127.0.0.1:{port}/default", "list; list")]
    public async Task Virtwire_ConnectionFailures_PrintWhatVirshPrints(string uriTemplate, string command)
    {
        var ct = TestContext.Current.CancellationToken;
        // A port nobody listens on (just released by the test's own listener); a directory without the socket, and
        // whose cacert.pem is not a certificate; a directory with a CA and client certificate.
        var dir = Directory.CreateTempSubdirectory("vw-connfail-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "cacert.pem"), "not a certificate\n", ct);
        var uri = uriTemplate.Replace("{port}", LibvirtdConfig.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{dir}", dir, StringComparison.Ordinal)
            .Replace("{pki}", uriTemplate.Contains("{pki}", StringComparison.Ordinal) ? TestPki.Create().Directory : "", StringComparison.Ordinal);
        var virsh = await DaemonPair.VirshAsync(uri, command, ct);
        var ours = await ProcessRunner.RunAsync("dotnet", [VirtwirePath(), "-c", uri, command], cancellationToken: ct);
        Assert.Equal(1, virsh.ExitCode);
        Assert.Equal(virsh.ToString(), ours.ToString());
    }

    /// <summary>One scenario through the typed client; its transcript must not depend on which daemon answered.</summary>
    private static async Task<string> ClientScenarioAsync(string uri, CancellationToken ct)
    {
        var log = new List<string>();
        await using var conn = await VirtConnection.OpenAsync(uri, cancellationToken: ct);
        async Task Step(string name, Func<Task<object?>> step)
        {
            try
            {
                log.Add($"{name}: {await step()}");
            }
            catch (VirtException ex)
            {
                log.Add($"{name}: error {ex.Code} {ex.Domain} {ex.Level} {ex.Message}");
            }
        }

        await Step("type", async () => await conn.GetTypeAsync(ct));
        await Step("version", async () => await conn.GetVersionAsync(ct));
        await Step("lib", async () => await conn.GetLibVersionAsync(ct));
        await Step("node", async () => await conn.GetNodeInfoAsync(ct));
        await Step("uri", async () => await conn.GetServerUriAsync(ct));
        await Step("secmodel", async () => await conn.GetSecurityModelAsync(ct));
        await Step("list", async () => string.Join(",", (await conn.ListAllDomainsAsync(cancellationToken: ct)).Select(d => $"{d.Name}/{d.Id}/{d.Uuid}")));
        var test = await conn.LookupDomainByNameAsync("test", ct);
        await Step("info", async () => (await test.GetInfoAsync(ct)) with { CpuTimeNs = 0 });
        await Step("state", async () => await test.GetStateAsync(ct));
        await Step("suspend", async () => { await test.SuspendAsync(ct); return await test.GetStateAsync(ct); });
        await Step("suspend-again", async () => { await test.SuspendAsync(ct); return null; });
        await Step("resume", async () => { await test.ResumeAsync(ct); return await test.GetStateAsync(ct); });
        await Step("destroy", async () => { await test.DestroyAsync(cancellationToken: ct); return await test.GetStateAsync(ct); });
        await Step("start", async () => (await test.StartAsync(cancellationToken: ct)).Id);
        await Step("missing", async () => await conn.LookupDomainByNameAsync("nosuch", ct));
        await Step("stats", async () => string.Join(";", (await conn.GetAllDomainStatsAsync(DomainStatsTypes.State, cancellationToken: ct))
            .Select(s => s.Domain.Name + ":" + string.Join(",", s.Parameters.Select(p => $"{p.Name}={p.Value}")))));
        await Step("nets", async () => string.Join(",", (await conn.ListAllNetworksAsync(cancellationToken: ct)).Select(n => n.Name)));
        await Step("pool", async () => await (await conn.LookupStoragePoolByNameAsync("default-pool", ct)).GetInfoAsync(ct));
        await Step("net-missing", async () => await conn.LookupNetworkByNameAsync("nosuch", ct));
        return string.Join("\n", log);
    }

    [Fact]
    public async Task Client_GetsTheSameResultsFromLibvirtdAndVirtwired()
    {
        var (libvirtd, virtwired) = pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var expected = await ClientScenarioAsync(libvirtd.TcpUri, ct);
        var actual = await ClientScenarioAsync(virtwired.TcpUri, ct);
        Assert.Contains("test/1/6695eb01-f6a4-8304-79aa-97f2502e193f", expected, StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_DaemonKilledMidCall_PendingCallsFailFast(bool tcp)
    {
        pair.Require();
        var ct = TestContext.Current.CancellationToken;
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        await using var conn = await VirtConnection.OpenAsync(tcp ? daemon.TcpUri : daemon.UnixUri, cancellationToken: ct);
        var domain = await conn.LookupDomainByNameAsync("test", ct);
        var calls = Enumerable.Range(0, 200).Select(_ => domain.GetInfoAsync(ct).AsTask()).ToList();
        await daemon.DisposeAsync();
        var started = DateTime.UtcNow;
        var loop = Task.Run(async () =>
        {
            while (true)
            {
                await domain.GetInfoAsync(ct);
            }
        }, ct);
        await Assert.ThrowsAsync<VirtConnectionException>(() => loop);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), "calls after the daemon died must fail within a second");
        // Each call either completed before the kill or failed with a connection error; none hangs.
        var settled = Task.WhenAll(calls.Select(async call =>
        {
            try
            {
                await call;
            }
            catch (VirtConnectionException)
            {
            }
        }));
        await settled.WaitAsync(TimeSpan.FromSeconds(5), ct);
        Assert.False(conn.IsAlive);
    }
}
