using Virtwire.TestKit;
using System.Net.Sockets;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Rpc.Tests;

/// <summary>Runs alone: the calling-thread read is limited per process, so another test's call could take the slot.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CallerReadCollection
{
    public const string Name = "caller read";
}

/// <summary>
/// A call alone on its unix-socket connection reads its own reply on the calling thread (RpcClientOptions.CallerReadWait);
/// everything else — concurrent calls, slow replies, large replies, server pings, a server that leaves — must still work.
/// </summary>
[Collection(CallerReadCollection.Name)]
public sealed class CallerReadTests
{
    /// <summary>SUPPORTS_FEATURE(n) answers n after n ms; GET_CAPABILITIES answers a string of <see cref="CapabilitiesLength"/> characters.</summary>
    private sealed class Handler : IRpcServerHandler
    {
        public const int CapabilitiesLength = 1_000_000;

        public bool IsKnownProgram(uint program, uint version) => program == RemoteProgram.Program && version == 1;

        public async ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            switch (header.Procedure)
            {
                case RemoteProgram.Numbers.ConnectSupportsFeature:
                    // As the daemon does for a client that probes for keepalive: the server pings it from now on.
                    connection.StartKeepalive();
                    var value = XdrCodec.Decode<IntArgs>(payload.Span).Value;
                    if (value > 0)
                    {
                        await Task.Delay(value, cancellationToken);
                    }

                    return new IntRet { Value = value };
                case RemoteProgram.Numbers.ConnectGetCapabilities:
                    return new StringRet { Value = string.Create(CapabilitiesLength, 0, static (span, _) =>
                    {
                        for (var i = 0; i < span.Length; i++)
                        {
                            span[i] = (char)('a' + (i % 26));
                        }
                    }) };
                default:
                    throw new RpcProcedureNotImplementedException(header.Procedure);
            }
        }

        public ValueTask OnClosedAsync(RpcServerConnection connection) => ValueTask.CompletedTask;
    }

    private sealed record Pair(RpcClientConnection Client, RemoteProgramClient Remote, CancellationTokenSource Stop, Task Serving) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Client.DisposeAsync();
            await Serving;
            Stop.Dispose();
        }
    }

    /// <summary>Callers read for themselves only with two cores or more (one such wait per two cores).</summary>
    private static bool CallerReadsOnThisMachine => Environment.ProcessorCount >= 2;

    private static Pair Start(RpcClientOptions options, RpcServerOptions? serverOptions = null)
    {
        var (client, accepted) = UnixSocketPair.Create();
        var server = new RpcServerConnection(new NetworkStream(accepted, ownsSocket: true), new Handler(),
            serverOptions ?? new RpcServerOptions { MaxClientRequests = 64 });
        var stop = new CancellationTokenSource();
        var serving = server.RunAsync(stop.Token);
        var rpc = new RpcClientConnection(new NetworkStream(client, ownsSocket: true), options);
        return new Pair(rpc, new RemoteProgramClient(rpc), stop, serving);
    }

    [Fact]
    public async Task LoneCall_CompletesOnTheCallingThread()
    {
        var ct = TestContext.Current.CancellationToken;
        // A generous budget: the reply must come within it on any machine, so the outcome does not depend on timing.
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromSeconds(30) });
        await Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var thread = Environment.CurrentManagedThreadId;
                var call = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 0 }, ct);
                Assert.True(call.IsCompletedSuccessfully == CallerReadsOnThisMachine, $"call {i}: completed on the calling thread: {call.IsCompleted}");
                Assert.Equal(0, (await call).Value);
                if (CallerReadsOnThisMachine)
                {
                    Assert.Equal(thread, Environment.CurrentManagedThreadId);
                }
            }
        }, ct);
    }

    [Fact]
    public async Task Disabled_CallsStillWork_AndWaitAsynchronously()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.Zero });
        await Task.Run(async () =>
        {
            var first = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 50 }, ct);
            Assert.False(first.IsCompleted);
            Assert.Equal(50, (await first).Value);
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(i % 3, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = i % 3 }, ct)).Value);
            }
        }, ct);
    }

    [Fact]
    public async Task SlowReply_WaitMovesToTheLoop_AndLaterCallsWork()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromMilliseconds(5) });
        await Task.Run(async () =>
        {
            Assert.Equal(0, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 0 }, ct)).Value);
            // 300 ms is far beyond the 5 ms budget: the caller gives up its read and the loop delivers the reply.
            var slow = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 300 }, ct);
            Assert.False(slow.IsCompleted);
            Assert.Equal(300, (await slow).Value);
            for (var i = 0; i < 200; i++)
            {
                Assert.Equal(i % 4, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = i % 4 }, ct)).Value);
            }
        }, ct);
    }

    [Fact]
    public async Task SlowReply_ThenLoneCallsReadForThemselvesAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        // The slow reply (400 ms) outlasts the budget (100 ms) and is read by the poller thread; quick calls after it
        // are again read by their callers (the connection did not switch to the background loop for good) — after the
        // two that go straight to the poller because the server was slow.
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromMilliseconds(100) });
        await Task.Run(async () =>
        {
            for (var round = 0; round < 2; round++)
            {
                var slow = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 400 }, ct);
                Assert.False(slow.IsCompleted);
                Assert.Equal(400, (await slow).Value);
                await AssertLoneCallsReadForThemselvesAsync(pair, ct, handedOn: 3);
            }
        }, ct);
    }

    [Fact]
    public async Task SlowServer_NextLoneCallsDoNotWait_ThenACallerWaitsAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        // Replies (800 ms) outlast the budget (600 ms). A caller that waits returns only when its budget is spent; one
        // that goes straight to the poller returns at once. The margins (300 ms) are far from both.
        var budget = TimeSpan.FromMilliseconds(600);
        await using var pair = Start(new RpcClientOptions { CallerReadWait = budget });
        await Task.Run(async () =>
        {
            // Time until the call hands back its (not yet completed) task.
            async Task<TimeSpan> SlowCallAsync()
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var call = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 800 }, ct);
                var returned = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                Assert.False(call.IsCompleted);
                Assert.Equal(800, (await call).Value);
                return returned;
            }

            var waited = budget / 2;
            Assert.True(await SlowCallAsync() >= waited == CallerReadsOnThisMachine, "the first slow call waits on its thread");
            Assert.True(await SlowCallAsync() < waited, "the next two go straight to the poller");
            Assert.True(await SlowCallAsync() < waited, "the next two go straight to the poller");
            Assert.True(await SlowCallAsync() >= waited == CallerReadsOnThisMachine, "then a caller tries waiting again");

            // That one was slow too: the next four are handed on; then the callers read quick replies again.
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(0, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 0 }, ct)).Value);
            }

            await AssertLoneCallsReadForThemselvesAsync(pair, ct);
        }, ct);
    }

    [Fact]
    public async Task ReplyOverAFifthOfTheWait_CallsStartedTogetherNextLeaveAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        // Replies of 600 ms come within the budget (2 s), so their callers read them — but they take over a fifth of
        // it, so the calls after one go to the poller: two started one after another without awaiting do not wait for
        // each other's round trip (600 ms each), with a margin of 300 ms.
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromSeconds(2) });
        await Task.Run(async () =>
        {
            var first = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 600 }, ct);
            Assert.True(first.IsCompleted == CallerReadsOnThisMachine, "read on the calling thread");
            Assert.Equal(600, (await first).Value);

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var second = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 600 }, ct).AsTask();
            var third = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 601 }, ct).AsTask();
            var returned = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            Assert.True(returned < TimeSpan.FromMilliseconds(300), $"the two calls took {returned.TotalMilliseconds:0} ms to start");
            Assert.Equal([600, 601], (await Task.WhenAll(second, third)).Select(r => r.Value));
        }, ct);
    }

    /// <summary>
    /// Fifty quick calls one after another: all but the first <paramref name="handedOn"/> (which may still find the
    /// poller letting go, or be handed to it after a slow reply) complete on the calling thread.
    /// </summary>
    private static async Task AssertLoneCallsReadForThemselvesAsync(Pair pair, CancellationToken ct, int handedOn = 1)
    {
        var completedOnCaller = 0;
        for (var i = 0; i < 50; i++)
        {
            var call = pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 0 }, ct);
            completedOnCaller += call.IsCompleted ? 1 : 0;
            Assert.Equal(0, (await call).Value);
        }

        Assert.InRange(completedOnCaller, CallerReadsOnThisMachine ? 50 - handedOn : 0, CallerReadsOnThisMachine ? 50 : 0);
    }

    [Fact]
    public async Task DisposedWhileItsReplyIsAwaitedByThePoller_CallFails_SocketCloses()
    {
        var ct = TestContext.Current.CancellationToken;
        var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromMilliseconds(20) });
        var slow = Task.Run(() => pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 30_000 }, ct).AsTask(), ct);
        while (CallerReadsOnThisMachine && !pair.Client.IsParked)
        {
            // Past the budget the poller thread waits for the reply; nothing signals that, so look every few ms.
            await Task.Delay(5, ct);
        }

        await pair.Client.DisposeAsync();
        await Assert.ThrowsAsync<RpcConnectionException>(() => slow.WaitAsync(TimeSpan.FromSeconds(5), ct));

        // The socket really closed (the poller let go of it): the server sees the end of the connection.
        await pair.Serving.WaitAsync(TimeSpan.FromSeconds(10), ct);
        pair.Stop.Dispose();
    }

    [Fact]
    public async Task ConcurrentCallers_WhileOneReadsForItself_AllGetTheirOwnAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromSeconds(30) });
        var workers = Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var value = (w + i) % 3;
                Assert.Equal(value, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = value }, ct)).Value);
            }
        }, ct));
        await Task.WhenAll(workers);

        // Calls in flight together were read by the poller thread, not by the loop for good: lone calls read for
        // themselves again once the burst is over.
        await Task.Run(() => AssertLoneCallsReadForThemselvesAsync(pair, ct), ct);
    }

    [Fact]
    public async Task ReplyLargerThanTheReadBuffer_IsReadWhole()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromSeconds(30) });
        await Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var caps = (await pair.Remote.ConnectGetCapabilitiesAsync(ct)).Value;
                Assert.Equal(Handler.CapabilitiesLength, caps.Length);
                Assert.Equal('z', caps[25]);
                Assert.Equal((char)('a' + ((Handler.CapabilitiesLength - 1) % 26)), caps[^1]);
                Assert.Equal(1, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 1 }, ct)).Value);
            }
        }, ct);
    }

    [Fact]
    public async Task ServerThatLeaves_WhileNoCallIsInFlight_IsNoticed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromSeconds(30), DefaultTimeout = TimeSpan.FromSeconds(1) });
        await Task.Run(async () => await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 0 }, ct), ct);
        await pair.Stop.CancelAsync();
        await pair.Serving;

        // Nobody reads between calls; the sweep (here every 100 ms) looks at the socket and sees the end.
        var gone = new TaskCompletionSource();
        using var watch = new Timer(_ =>
        {
            if (!pair.Client.IsConnected)
            {
                gone.TrySetResult();
            }
        }, null, 0, 20);
        await gone.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal("the server closed the connection", pair.Client.Failure!.Message);
    }

    [Fact]
    public async Task ServerPing_WhileNoCallIsInFlight_IsAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        // The server pings after 1 s of silence and gives up after 2 unanswered pings: only answered pings keep it.
        await using var pair = Start(new RpcClientOptions { CallerReadWait = TimeSpan.FromSeconds(30), DefaultTimeout = TimeSpan.FromSeconds(1) },
            new RpcServerOptions { KeepaliveInterval = 1, KeepaliveCount = 2 });
        await Task.Run(async () => await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 0 }, ct), ct);

        // Five seconds without a call: unanswered, the server's pings would close the connection after about three.
        var quiet = Task.Delay(TimeSpan.FromSeconds(5), ct);
        Assert.Same(quiet, await Task.WhenAny(quiet, pair.Serving));
        Assert.True(pair.Client.IsConnected);
        await Task.Run(async () => Assert.Equal(2, (await pair.Remote.ConnectSupportsFeatureAsync(new IntArgs { Value = 2 }, ct)).Value), ct);
    }
}
