using System.Net.Sockets;
using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.TestKit.Peers;
using Virtwire.Xdr;

namespace Virtwire.Interop.Tests;

/// <summary>
/// SASL SCRAM-SHA-256 (over a unix socket and over TLS), the pre-authentication gate, the read-only socket and
/// max_clients — real virsh and Virtwire.Client against virtwired and against real libvirtd configured the same way.
/// </summary>
public sealed class AuthTests
{
    private static readonly Dictionary<string, string> Users = new() { ["alice"] = "s3cret", ["bob"] = "hunter2" };

    // alice may connect; bob has a valid password but is not on the allowed list.
    private const string SaslOnUnix = """
        auth_unix_rw = "sasl"
        sasl_allowed_username_list = [ "alice", "carol*" ]
        """;

    private static async Task<TestSasl> RequireSaslAsync(CancellationToken ct)
    {
        RealLibvirt.Require();
        if (!File.Exists(TestSasl.SaslPasswd2) || !File.Exists("/usr/lib/x86_64-linux-gnu/sasl2/libscram.so"))
        {
            const string missing = "saslpasswd2 and the SCRAM plugin (Debian's sasl2-bin, libsasl2-modules)";
            if (RealLibvirt.IsCi)
            {
                Assert.Fail($"SASL peer missing under CI: {missing}; .ci/run installs it");
            }

            Assert.Skip("SASL peer missing: " + missing);
        }

        return await TestSasl.CreateAsync(Users, ct);
    }

    private static Task<ProcessResult> VirshAsync(string uri, string authFile, string commands, CancellationToken ct) =>
        ProcessRunner.RunAsync(RealLibvirt.Virsh, ["-c", uri, commands], environment: new Dictionary<string, string> { ["LIBVIRT_AUTH_FILE"] = authFile },
            cancellationToken: ct);

    private static async Task<string> VirshSessionsAsync(DaemonProcess daemon, TestSasl sasl, string uri, CancellationToken ct)
    {
        var results = new List<string>();
        foreach (var (user, password) in new[] { ("alice", "s3cret"), ("alice", "wrong"), ("bob", "hunter2"), ("nobody", "x") })
        {
            var result = await VirshAsync(uri, sasl.AuthFile(user, password), "domname 1", ct);
            results.Add($"{user}/{password}: {result.ExitCode} {result.Stdout.Trim()} {result.Stderr.Trim()}");
        }

        return string.Join("\n", results);
    }

    [Fact]
    public async Task Virsh_ScramOverUnixSocket_BehavesAsAgainstLibvirtd()
    {
        var ct = TestContext.Current.CancellationToken;
        var sasl = await RequireSaslAsync(ct);
        string ours, theirs;
        await using (var virtwired = await DaemonProcess.StartVirtwiredAsync(sasl.VirtwiredConfig(SaslOnUnix), ct))
        {
            ours = await VirshSessionsAsync(virtwired, sasl, virtwired.UnixUri, ct);
            await virtwired.WaitForLogAsync("SASL authentication of unix[pid=", ct);
        }

        await using (var libvirtd = await DaemonProcess.StartLibvirtdAsync(SaslOnUnix, qemu: false, sasl.CyrusConfigPath, ct))
        {
            theirs = await VirshSessionsAsync(libvirtd, sasl, libvirtd.UnixUri, ct);
        }

        Assert.Equal(
            "alice/s3cret: 0 test \n" +
            "alice/wrong: 1  error: failed to connect to the hypervisor\nerror: authentication failed: authentication failed\n" +
            "bob/hunter2: 1  error: failed to connect to the hypervisor\nerror: authentication failed: authentication failed\n" +
            "nobody/x: 1  error: failed to connect to the hypervisor\nerror: authentication failed: authentication failed",
            theirs);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public async Task VirshAndClient_TlsPlusScram_AgainstBothDaemons()
    {
        var ct = TestContext.Current.CancellationToken;
        var sasl = await RequireSaslAsync(ct);
        var pki = TestPki.Create();
        var tlsPort = LibvirtdConfig.FreePort();
        var shared = pki.ServerConfig(tlsPort) + "\nauth_tls = \"sasl\"\n";
        var uri = $"test+tls://127.0.0.1:{tlsPort}/default?pkipath={pki.Directory}";
        var answers = new List<string>();
        foreach (var libvirtd in new[] { false, true })
        {
            await using var daemon = libvirtd
                ? await DaemonProcess.StartLibvirtdAsync(shared, qemu: false, sasl.CyrusConfigPath, ct)
                : await DaemonProcess.StartVirtwiredAsync(sasl.VirtwiredConfig(shared), ct);

            var virsh = await VirshAsync(uri, sasl.AuthFile("alice", "s3cret"), "domname 1; domstate test", ct);
            Assert.True(virsh.ExitCode == 0, daemon.Name + ": " + virsh + "\n" + daemon.ReadLog());
            answers.Add(virsh.Stdout);

            // Virtwire.Client: credentials from a callback; a wrong password is AUTH_FAILED from either daemon.
            var options = new VirtConnectionOptions { Credentials = (request, _) => ValueTask.FromResult<VirtCredential?>(new("alice", "s3cret")) };
            await using (var conn = await VirtConnection.OpenAsync(uri, options, ct))
            {
                Assert.Equal("test", (await conn.LookupDomainByIdAsync(1, ct)).Name);
            }

            var wrong = new VirtConnectionOptions { Credentials = (request, _) => ValueTask.FromResult<VirtCredential?>(new("alice", "nope")) };
            try
            {
                await using var accepted = await VirtConnection.OpenAsync(uri, wrong, ct);
                Assert.Fail($"{daemon.Name} accepted a wrong password over TLS:\n{daemon.ReadLog()}");
            }
            catch (VirtException refused)
            {
                Assert.Equal((VirtErrorCode.AuthFailed, "authentication failed: authentication failed"), (refused.Code, refused.Message));
            }
        }

        Assert.Equal("test\n\nrunning\n\n", answers[0]);
        Assert.Equal(answers[0], answers[1]);
    }

    [Fact]
    public async Task Client_RefusesScramOverPlainTcp_AndTheServerNeverOffersIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var sasl = await RequireSaslAsync(ct);
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(sasl.VirtwiredConfig("auth_tcp = \"sasl\""), ct);
        var options = new VirtConnectionOptions { Credentials = (_, _) => ValueTask.FromResult<VirtCredential?>(new("alice", "s3cret")) };
        var ex = await Assert.ThrowsAsync<VirtException>(async () => await VirtConnection.OpenAsync(daemon.TcpUri, options, ct));
        Assert.Equal(VirtErrorCode.AuthFailed, ex.Code);
        Assert.Contains("TLS or a unix socket", ex.Message, StringComparison.Ordinal);

        // virsh (Cyrus SASL) is refused as by libvirtd: no mechanism qualifies on plain TCP.
        var virsh = await VirshAsync(daemon.TcpUri, sasl.AuthFile("alice", "s3cret"), "domname 1", ct);
        Assert.Equal("error: failed to connect to the hypervisor\nerror: authentication failed: authentication failed\n", virsh.Stderr);
    }

    private static async Task<List<string>> SweepAsync(string socketPath, IEnumerable<int> procedures, bool open, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
        await using var rpc = new RpcClientConnection(new NetworkStream(socket, ownsSocket: true), new RpcClientOptions());
        if (open)
        {
            var opened = await rpc.CallAsync(RemoteProgram.Program, RemoteProgram.Version, RemoteProgram.Numbers.ConnectOpen,
                new ConnectOpenArgs { Name = "test:///default", Flags = 0 }, ct);
            Assert.Equal(RpcStatus.Ok, opened.Header.Status);
        }

        // Arguments of zeros decode for most procedures (empty strings, zero ids and flags).
        var zeros = new ZeroArgs();
        var answers = new List<string>();
        foreach (var procedure in procedures)
        {
            var reply = await rpc.CallAsync(RemoteProgram.Program, RemoteProgram.Version, procedure, zeros, ct);
            if (reply.Header.Status != RpcStatus.Error)
            {
                answers.Add($"{procedure}: ok");
                continue;
            }

            var error = XdrCodec.Decode<RemoteError>(reply.Payload);
            answers.Add($"{procedure}: {error.Code} {error.Domain} {error.Message}");
        }

        return answers;
    }

    /// <summary>512 zero bytes of arguments.</summary>
    private sealed class ZeroArgs : IXdrWritable
    {
        public int GetSize() => 512;

        public void Write(ref XdrWriter writer)
        {
            for (var i = 0; i < 128; i++)
            {
                writer.WriteInt32(0);
            }
        }
    }

    [Fact]
    public async Task BeforeAuthentication_EveryProcedure_GetsAuthenticationRequired_AsFromLibvirtd()
    {
        var ct = TestContext.Current.CancellationToken;
        var sasl = await RequireSaslAsync(ct);
        var procedures = Enumerable.Range(1, 460).Where(p => p is < 66 or > 70).ToArray();
        await using var virtwired = await DaemonProcess.StartVirtwiredAsync(sasl.VirtwiredConfig(SaslOnUnix), ct);
        var ours = await SweepAsync(virtwired.SocketPath, procedures, open: false, ct);
        var expected = "Rpc Rpc authentication required";
        Assert.All(ours, line => Assert.EndsWith(": " + expected, line, StringComparison.Ordinal));

        // libvirtd answers the same for every procedure it has; past its last one it says "unknown procedure".
        await using var libvirtd = await DaemonProcess.StartLibvirtdAsync(SaslOnUnix, qemu: false, sasl.CyrusConfigPath, ct);
        var theirs = await SweepAsync(libvirtd.SocketPath, procedures, open: false, ct);
        var known = theirs.Where(line => !line.Contains("unknown procedure", StringComparison.Ordinal)).ToList();
        Assert.True(known.Count > 380, string.Join("\n", theirs.GroupBy(l => l[(l.IndexOf(':') + 2)..]).Select(g => $"{g.Count()} x {g.Key} (first {g.First()})")));
        Assert.Equal(known, ours.Where(line => known.Contains(line)).ToList());
        Assert.Equal(known.Count, ours.Intersect(known).Count());

        // Both still answer AUTH_LIST with SASL.
        await using var conn = await VirtConnection.OpenAsync(virtwired.UnixUri,
            new VirtConnectionOptions { Credentials = (_, _) => ValueTask.FromResult<VirtCredential?>(new("alice", "s3cret")) }, ct);
        Assert.Equal("TEST", await conn.GetTypeAsync(ct));
    }

    [Fact]
    public async Task ReadOnlySocket_RefusesEveryWriteProcedure()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var virtwired = await DaemonProcess.StartVirtwiredAsync(ct);
        var writes = RemoteProgram.All.Where(p => p.Kind == RpcProcedureKind.Call && !p.AllowedReadOnly && !p.AllowedBeforeAuth &&
            p.Number is not (RemoteProgram.Numbers.ConnectOpen or RemoteProgram.Numbers.ConnectClose)).Select(p => p.Number).ToArray();
        Assert.True(writes.Length > 30, $"only {writes.Length} write procedures");
        var answers = await SweepAsync(virtwired.ReadOnlySocketPath, writes, open: true, ct);
        var denied = $"{VirtErrorCode.OperationDenied} ";
        Assert.All(answers, line => Assert.Contains(": " + denied, line, StringComparison.Ordinal));
        Assert.All(answers, line => Assert.Contains("operation forbidden: read only access prevents vir", line, StringComparison.Ordinal));

        // The read-write socket runs the same calls past the gate (they fail, if at all, for other reasons).
        var readWrite = await SweepAsync(virtwired.SocketPath, writes.Take(20), open: true, ct);
        Assert.DoesNotContain(readWrite, line => line.Contains(": " + denied, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MaxClientsPlusOne_IsRefused_AndTheDaemonKeepsServing()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var daemon = await DaemonProcess.StartVirtwiredAsync("max_clients = 3", ct);
        var open = new List<VirtConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct));
            }

            var extra = await Assert.ThrowsAnyAsync<VirtException>(async () => await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct));
            Assert.IsType<VirtConnectionException>(extra);
            foreach (var conn in open)
            {
                Assert.Equal("test", (await conn.LookupDomainByIdAsync(1, ct)).Name);
            }

            // A slot that frees up is usable again.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await WaitForAsync(async () =>
            {
                try
                {
                    open.Add(await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct));
                    return true;
                }
                catch (VirtConnectionException)
                {
                    return false;
                }
            }, ct);
            await daemon.WaitForLogAsync("max_clients (3) reached", ct);
        }
        finally
        {
            foreach (var conn in open)
            {
                await conn.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task MaxAnonymousClients_UnauthenticatedBeyondTheLimit_AreRefused_AuthenticatedOnesDoNotCount()
    {
        var ct = TestContext.Current.CancellationToken;
        var sasl = await RequireSaslAsync(ct);
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(sasl.VirtwiredConfig(SaslOnUnix + "\nmax_anonymous_clients = 2"), ct);
        var credentials = new VirtConnectionOptions { Credentials = (_, _) => ValueTask.FromResult<VirtCredential?>(new("alice", "s3cret")) };

        // An authenticated client does not hold an anonymous slot.
        await using var alice = await VirtConnection.OpenAsync(daemon.UnixUri, credentials, ct);

        // Two silent, unauthenticated connections fill the slots; the daemon answers their AUTH_LIST.
        var idle = new List<Socket>();
        var engines = new List<RpcClientConnection>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var socket = await daemon.ConnectRawAsync(ct);
                idle.Add(socket);
                var rpc = new RpcClientConnection(new NetworkStream(socket, ownsSocket: false), new RpcClientOptions());
                engines.Add(rpc);
                var reply = await rpc.CallAsync(RemoteProgram.Program, RemoteProgram.Version, RemoteProgram.Numbers.AuthList, XdrVoid.Instance, ct);
                Assert.Equal(RpcStatus.Ok, reply.Header.Status);
            }

            var refused = await Assert.ThrowsAnyAsync<VirtException>(async () => await VirtConnection.OpenAsync(daemon.UnixUri, credentials, ct));
            Assert.IsType<VirtConnectionException>(refused);
            Assert.Equal("test", (await alice.LookupDomainByIdAsync(1, ct)).Name);
            await daemon.WaitForLogAsync("max_anonymous_clients (2)", ct);

            // One leaves: a newcomer gets its slot and authenticates.
            idle[0].Dispose();
            await WaitForAsync(async () =>
            {
                try
                {
                    await using var bob = await VirtConnection.OpenAsync(daemon.UnixUri, credentials, ct);
                    return true;
                }
                catch (VirtConnectionException)
                {
                    return false;
                }
            }, ct);
        }
        finally
        {
            foreach (var rpc in engines)
            {
                await rpc.DisposeAsync();
            }

            idle.ForEach(s => s.Dispose());
        }
    }

    /// <summary>The daemon notices a closed connection asynchronously; retry (bounded) until the slot is free.</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50, ct);
        }

        Assert.Fail("condition not met within 5 s");
    }
}
