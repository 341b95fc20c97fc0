using Virtwire.TestKit;
using System.Net.Sockets;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Rpc.Tests;

/// <summary>The client and server engines against each other over a real socket pair.</summary>
public sealed class ClientServerTests
{
    /// <summary>A server that answers SUPPORTS_FEATURE(n) with n after n milliseconds, and fails DOMAIN_LOOKUP_BY_NAME.</summary>
    private sealed class EchoHandler : IRpcServerHandler
    {
        private int _inFlight;

        public int MaxInFlight;

        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsKnownProgram(uint program, uint version) => program == RemoteProgram.Program && version == 1;

        public async ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref MaxInFlight, now);
            try
            {
                switch (header.Procedure)
                {
                    case RemoteProgram.Numbers.ConnectSupportsFeature:
                        var args = XdrCodec.Decode<IntArgs>(payload.Span);
                        if (args.Value > 0)
                        {
                            await Task.Delay(args.Value, cancellationToken);
                        }

                        return new IntRet { Value = args.Value };
                    case RemoteProgram.Numbers.DomainLookupByName:
                        throw new RpcRemoteException(VirtErrorCode.NoDomain, VirtErrorDomain.Test, "Domain not found");
                    default:
                        throw new RpcProcedureNotImplementedException(header.Procedure);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public ValueTask OnClosedAsync(RpcServerConnection connection)
        {
            Closed.TrySetResult();
            return ValueTask.CompletedTask;
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }

    private static (Stream Client, Stream Server) SocketPair()
    {
        var (client, server) = UnixSocketPair.Create();
        return (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    private static (RpcClientConnection Client, RemoteProgramClient Remote, EchoHandler Handler, Task Server, CancellationTokenSource Stop) Start(
        RpcServerOptions? serverOptions = null, RpcClientOptions? clientOptions = null)
    {
        var (c, s) = SocketPair();
        var handler = new EchoHandler();
        var stop = new CancellationTokenSource();
        var server = new RpcServerConnection(s, handler, serverOptions ?? new RpcServerOptions { MaxClientRequests = 64 });
        var serving = server.RunAsync(stop.Token);
        var client = new RpcClientConnection(c, clientOptions);
        return (client, new RemoteProgramClient(client), handler, serving, stop);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ThousandConcurrentCalls_AllGetTheirOwnAnswers(bool inlineCompletions)
    {
        var (client, remote, _, _, stop) = Start(clientOptions: new RpcClientOptions { InlineCompletions = inlineCompletions });
        await using var _ = client;
        var ct = TestContext.Current.CancellationToken;
        var calls = Enumerable.Range(0, 1000).Select(async i => (i, (await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = i % 7 }, ct)).Value)).ToArray();
        foreach (var (i, value) in await Task.WhenAll(calls))
        {
            Assert.Equal(i % 7, value);
        }

        await stop.CancelAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SequentialCalls_Work(bool inlineCompletions)
    {
        var (client, remote, _, _, stop) = Start(clientOptions: new RpcClientOptions { InlineCompletions = inlineCompletions });
        await using var _ = client;
        var ct = TestContext.Current.CancellationToken;
        // Off the test framework's synchronization context, the loop resumes on the reader, as an application's would.
        await Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                Assert.Equal(i % 5, (await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = i % 5 }, ct)).Value);
            }
        }, ct);

        await stop.CancelAsync();
    }

    [Fact]
    public async Task ErrorReply_BecomesRpcRemoteException_WithTheWireError()
    {
        var (client, remote, _, _, stop) = Start();
        await using var _ = client;
        var ex = await Assert.ThrowsAsync<RpcRemoteException>(async () => await remote.DomainLookupByNameAsync(new StringArgs { Value = "x" }, TestContext.Current.CancellationToken));
        Assert.Equal(VirtErrorCode.NoDomain, ex.Error.Code);
        Assert.Equal(VirtErrorDomain.Test, ex.Error.Domain);
        var unknown = await Assert.ThrowsAsync<RpcRemoteException>(async () => await remote.ConnectGetHostnameAsync(TestContext.Current.CancellationToken));
        Assert.Equal("unknown procedure: 59", unknown.Error.Message);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task CancelledCall_LateReplyIsDiscarded_ConnectionStaysUsable()
    {
        var (client, remote, _, _, stop) = Start();
        await using var _ = client;
        using var cancel = new CancellationTokenSource();
        var slow = remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 300 }, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        Assert.Equal(5, (await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 5 }, TestContext.Current.CancellationToken)).Value);

        // The cancelled call's reply arrives later and is counted, not matched to anyone.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (client.LateReplies == 0 && DateTime.UtcNow < deadline)
        {
            await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 20 }, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, client.LateReplies);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task ServerGoesAway_PendingCallsFailWithinASecond()
    {
        var (client, remote, _, _, stop) = Start();
        await using var _ = client;
        var pending = Enumerable.Range(0, 20).Select(_ => remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 30_000 }, TestContext.Current.CancellationToken).AsTask()).ToArray();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var started = DateTime.UtcNow;
        await stop.CancelAsync();
        foreach (var call in pending)
        {
            await Assert.ThrowsAsync<RpcConnectionException>(() => call);
        }

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<RpcConnectionException>(async () => await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 1 }, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CallTimeout_RaisesRpcTimeoutException()
    {
        var (client, remote, _, _, stop) = Start(clientOptions: new RpcClientOptions { DefaultTimeout = TimeSpan.FromMilliseconds(100) });
        await using var _ = client;
        await Assert.ThrowsAsync<RpcTimeoutException>(async () => await remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 5000 }, TestContext.Current.CancellationToken));
        await stop.CancelAsync();
    }

    [Fact]
    public async Task MaxClientRequests_BoundsCallsInFlightPerClient()
    {
        var (client, remote, handler, _, stop) = Start(new RpcServerOptions { MaxClientRequests = 3 });
        await using var _ = client;
        await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 10 }, TestContext.Current.CancellationToken).AsTask()));
        Assert.InRange(handler.MaxInFlight, 1, 3);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task ServerPing_IsAnsweredWithPong_AndClientPingKeepsItAlive()
    {
        var (c, s) = SocketPair();
        await using var server = s;
        await using var client = new RpcClientConnection(c);
        var ping = new byte[28];
        RpcFrameWriter.Write(ping, new RpcHeader(RpcServerConnection.KeepaliveProgram, 1, 1, RpcMessageType.Message, 0, RpcStatus.Ok), XdrVoid.Instance);
        await server.WriteAsync(ping, TestContext.Current.CancellationToken);
        var pong = new byte[28];
        await server.ReadExactlyAsync(pong, TestContext.Current.CancellationToken);
        Assert.Equal(2, RpcHeader.Read(pong.AsSpan(4)).Procedure);
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("0000001b")]
    [InlineData("ffffffff")]
    [InlineData("0200001c")]
    public async Task GarbageLength_ServerClosesThatClient_AndKeepsServingOthers(string hex)
    {
        var handler = new EchoHandler();
        var (c, s) = SocketPair();
        var server = new RpcServerConnection(s, handler);
        var serving = server.RunAsync(TestContext.Current.CancellationToken);
        await c.WriteAsync(Convert.FromHexString(hex + "20008086"), TestContext.Current.CancellationToken);
        await serving.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Contains("packet length", server.CloseReason);
        // Closed: either an orderly end of stream or a reset (the server had unread bytes), never a hang.
        try
        {
            Assert.Equal(0, await c.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
        }
        catch (IOException)
        {
        }

        var (other, _, _, _, stop) = Start();
        await using var _ = other;
        Assert.Equal(1, (await new RemoteProgramClient(other).ConnectSupportsFeatureAsync(new IntArgs { Value = 1 }, TestContext.Current.CancellationToken)).Value);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task UnknownProgram_GetsLibvirtsErrorReply()
    {
        var (client, _, _, _, stop) = Start();
        await using var _ = client;
        var reply = await client.CallAsync(0x12345678, 1, 3, XdrVoid.Instance, TestContext.Current.CancellationToken);
        Assert.Equal(RpcStatus.Error, reply.Header.Status);
        var error = XdrCodec.Decode<RemoteError>(reply.Payload);
        Assert.Equal($"Cannot find program {0x12345678} version 1", error.Message);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task ClientThatNeverReads_IsDisconnected_ServerStaysResponsive()
    {
        var (c, s) = SocketPair();
        var handler = new EchoHandler();
        var server = new RpcServerConnection(s, handler, new RpcServerOptions { MaxOutgoingQueue = 16 });
        var serving = server.RunAsync(TestContext.Current.CancellationToken);
        var body = new StringRet { Value = new string('x', 64 * 1024) };
        var sent = 0;
        while (server.TrySendMessage(RemoteProgram.Program, 1, 318, body) && sent < 100_000)
        {
            sent++;
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Contains("not reading", server.CloseReason);
        c.Dispose();
    }
}
