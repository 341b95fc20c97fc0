using System.Net.Sockets;
using Virtwire.Client;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.TestKit.Peers;
using Virtwire.Xdr;

namespace Virtwire.Interop.Tests;

/// <summary>
/// Faults around a running virtwired: clients that vanish mid-call or mid-event-stream, an event consumer that stops
/// reading, TLS handshakes cut short, and the daemon itself killed under its clients. Nothing hangs, nothing leaks.
/// </summary>
public sealed class FaultTests
{
    private static byte[] Call(int procedure, uint serial, IXdrWritable args) =>
        RpcFrameWriter.ToArray(new RpcHeader(RemoteProgram.Program, RemoteProgram.Version, procedure, RpcMessageType.Call, serial, RpcStatus.Ok), args);

    /// <summary>The daemon closes what a departed client left; wait (bounded) until its descriptors are back near the baseline.</summary>
    private static async Task AssertDescriptorsReturnAsync(DaemonProcess daemon, int baseline, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 200 && ProcessProbe.Sockets(daemon.Pid) > baseline; attempt++)
        {
            await Task.Delay(50, ct);
        }

        Assert.True(ProcessProbe.Sockets(daemon.Pid) <= baseline, $"daemon holds {ProcessProbe.Sockets(daemon.Pid)} sockets, {baseline} before: {ProcessProbe.Describe(daemon.Pid)}");
    }

    private static async Task AssertServingAsync(DaemonProcess daemon, CancellationToken ct)
    {
        await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
        Assert.Equal("test", (await conn.LookupDomainByIdAsync(1, ct)).Name);
    }

    [Fact]
    public async Task ClientsKilledMidCall_AndMidEventDelivery_LeaveNothingBehind()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        await AssertServingAsync(daemon, ct);
        var baseline = ProcessProbe.Sockets(daemon.Pid);
        var rssBefore = ProcessProbe.RssKiB(daemon.Pid);

        // 500 clients send CONNECT_OPEN and a burst of calls, then vanish before reading any reply.
        var open = Call(RemoteProgram.Numbers.ConnectOpen, 1, new ConnectOpenArgs { Name = "test:///default" });
        var list = Call(RemoteProgram.Numbers.ConnectListAllDomains, 2, new ListAllArgs { NeedResults = 1, Flags = 0 });
        for (var i = 0; i < 500; i++)
        {
            using var socket = await daemon.ConnectRawAsync(ct);
            await socket.SendAsync(open, ct);
            for (var k = 0; k < 4; k++)
            {
                await socket.SendAsync(list, ct);
            }

            // Abortive close (RST), as when a process is killed.
            socket.LingerState = new LingerOption(true, 0);
        }

        // 50 clients subscribe to lifecycle events and vanish while a writer makes events as fast as it can.
        await using var writer = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
        var test = await writer.LookupDomainByNameAsync("test", ct);
        var subscribers = new List<Socket>();
        for (var i = 0; i < 50; i++)
        {
            var socket = await daemon.ConnectRawAsync(ct);
            await socket.SendAsync(open, ct);
            await socket.SendAsync(Call(RemoteProgram.Numbers.ConnectDomainEventCallbackRegisterAny, 2,
                new ConnectDomainEventCallbackRegisterAnyArgs { EventId = 0 }), ct);
            subscribers.Add(socket);
        }

        var churn = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await test.SuspendAsync(ct);
                await test.ResumeAsync(ct);
            }
        }, ct);
        foreach (var socket in subscribers)
        {
            // Killed mid-delivery: an abortive close while events are being pushed to it.
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }

        await churn;
        await AssertServingAsync(daemon, ct);
        await AssertDescriptorsReturnAsync(daemon, baseline + 1, ct);
        Assert.True(ProcessProbe.RssKiB(daemon.Pid) < rssBefore + (64 * 1024), $"RSS grew from {rssBefore} KiB to {ProcessProbe.RssKiB(daemon.Pid)} KiB");
    }

    [Fact]
    public async Task EventConsumerThatStopsReading_DoesNotBlockTheDaemon()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(ct);

        // A raw client registers for every domain lifecycle event, then never reads its socket again.
        using var stuck = await daemon.ConnectRawAsync(ct);
        stuck.ReceiveBufferSize = 4096;
        await stuck.SendAsync(Call(RemoteProgram.Numbers.ConnectOpen, 1, new ConnectOpenArgs { Name = "test:///default" }), ct);
        await stuck.SendAsync(Call(RemoteProgram.Numbers.ConnectDomainEventCallbackRegisterAny, 2,
            new ConnectDomainEventCallbackRegisterAnyArgs { EventId = 0 }), ct);

        // Thousands of events later the daemon still answers everyone else promptly.
        await using var writer = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
        var test = await writer.LookupDomainByNameAsync("test", ct);
        for (var i = 0; i < 3000; i++)
        {
            await test.SuspendAsync(ct);
            await test.ResumeAsync(ct);
        }

        await AssertServingAsync(daemon, ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(ProcessProbe.RssKiB(daemon.Pid) < 400 * 1024, $"RSS {ProcessProbe.RssKiB(daemon.Pid)} KiB");
    }

    [Fact]
    public async Task TlsHandshakesCutShort_DaemonKeepsServing()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var pki = TestPki.Create();
        var tlsPort = LibvirtdConfig.FreePort();
        await using var daemon = await DaemonProcess.StartVirtwiredAsync(pki.ServerConfig(tlsPort), ct);
        var baseline = ProcessProbe.Sockets(daemon.Pid);
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, tlsPort, ct);
            // A TLS record header for a handshake, then a few random bytes of a ClientHello, then gone.
            var partial = new byte[5 + random.Next(0, 40)];
            random.NextBytes(partial);
            partial[0] = 0x16;
            partial[1] = 0x03;
            partial[2] = 0x01;
            await socket.SendAsync(partial.AsMemory(0, i % 3 == 0 ? 0 : partial.Length), ct);
            socket.LingerState = new LingerOption(true, 0);
        }

        await using (var conn = await VirtConnection.OpenAsync($"test+tls://127.0.0.1:{tlsPort}/default?pkipath={pki.Directory}", cancellationToken: ct))
        {
            Assert.Equal("test", (await conn.LookupDomainByIdAsync(1, ct)).Name);
        }

        await AssertDescriptorsReturnAsync(daemon, baseline, ct);
    }

    [Fact]
    public async Task DaemonKilledMidCalls_EveryPendingCallFailsFast()
    {
        RealLibvirt.Require();
        var ct = TestContext.Current.CancellationToken;
        var daemon = await DaemonProcess.StartVirtwiredAsync(ct);
        try
        {
            await using var conn = await VirtConnection.OpenAsync(daemon.UnixUri, cancellationToken: ct);
            var domain = await conn.LookupDomainByNameAsync("test", ct);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                while (true)
                {
                    await domain.GetInfoAsync(ct);
                    started.TrySetResult();
                }
            }, ct)).ToArray();
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);

            var killed = System.Diagnostics.Stopwatch.StartNew();
            daemon = await daemon.RestartVirtwiredAsync(ct);
            foreach (var caller in callers)
            {
                var ex = await Assert.ThrowsAnyAsync<VirtException>(() => caller.WaitAsync(TimeSpan.FromSeconds(10), ct));
                Assert.IsType<VirtConnectionException>(ex);
            }

            Assert.False(conn.IsAlive);

            // The restarted daemon serves new connections at once.
            await AssertServingAsync(daemon, ct);
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }
}
