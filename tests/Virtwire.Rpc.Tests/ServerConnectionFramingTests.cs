using Virtwire.TestKit;
using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Rpc.Tests;

/// <summary>
/// How the server connection cuts its input into packets and answers them: bursts in one read, packets split
/// across reads anywhere, packets bigger than its read buffer, the per-client window, idle memory.
/// </summary>
public sealed class ServerConnectionFramingTests
{
    private const uint Program = RemoteProgram.Program;

    /// <summary>
    /// Answers every call at once with a checksum of its payload, so a reply proves the whole payload arrived; a call
    /// with a payload of <see cref="FaultyLength"/> bytes gets a result that fails while being encoded.
    /// </summary>
    private sealed class ChecksumHandler : IRpcServerHandler
    {
        public const int FaultyLength = 999;

        public bool IsKnownProgram(uint program, uint version) => program == Program && version == 1;

        public ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IXdrWritable>(payload.Length == FaultyLength ? new FaultyResult() : new IntRet { Value = Checksum(payload.Span) });

        public ValueTask OnClosedAsync(RpcServerConnection connection) => ValueTask.CompletedTask;
    }

    /// <summary>Opens a stream for every call and hands it to the test.</summary>
    private sealed class StreamOpeningHandler : IRpcServerHandler
    {
        public TaskCompletionSource<RpcServerStream> Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsKnownProgram(uint program, uint version) => program == Program && version == 1;

        public ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            Opened.TrySetResult(connection.OpenStream(header));
            return ValueTask.FromResult<IXdrWritable>(XdrVoid.Instance);
        }

        public ValueTask OnClosedAsync(RpcServerConnection connection) => ValueTask.CompletedTask;
    }

    /// <summary>A result whose size is known but whose encoding fails half-way (a codec bug).</summary>
    private sealed class FaultyResult : IXdrWritable
    {
        public int GetSize() => 8;

        public void Write(ref XdrWriter writer)
        {
            writer.WriteInt32(1);
            throw new ArgumentException("codec bug");
        }
    }

    /// <summary>Holds every call until <see cref="Gate"/> opens, and records the most calls it saw at once.</summary>
    private sealed class GatedHandler : IRpcServerHandler
    {
        private int _inFlight;

        public int MaxInFlight;

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource WindowFull { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Window { get; init; }

        public bool IsKnownProgram(uint program, uint version) => program == Program && version == 1;

        public async ValueTask<IXdrWritable> HandleCallAsync(RpcServerConnection connection, RpcHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref MaxInFlight)) && Interlocked.CompareExchange(ref MaxInFlight, now, seen) != seen)
            {
            }

            if (now == Window)
            {
                WindowFull.TrySetResult();
            }

            var checksum = Checksum(payload.Span);
            await Gate.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _inFlight);
            return new IntRet { Value = checksum };
        }

        public ValueTask OnClosedAsync(RpcServerConnection connection) => ValueTask.CompletedTask;
    }

    /// <summary>
    /// The server's side of a connection whose input is scripted: each read returns data from one chunk only, never
    /// across two, so a test decides exactly where reads end. After the last chunk comes end of file.
    /// </summary>
    private sealed class ScriptedStream(IEnumerable<byte[]> chunks) : Stream
    {
        private readonly Queue<byte[]> _chunks = new(chunks.Where(c => c.Length > 0));
        private readonly MemoryStream _written = new();
        private byte[]? _current;
        private int _offset;

        public int DataReads { get; private set; }

        public int Writes { get; private set; }

        public byte[] Written
        {
            get
            {
                lock (_written)
                {
                    return _written.ToArray();
                }
            }
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_current is null || _offset == _current.Length)
            {
                if (!_chunks.TryDequeue(out _current))
                {
                    return 0;
                }

                _offset = 0;
            }

            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            DataReads++;
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_written)
            {
                _written.Write(buffer);
                Writes++;
            }
        }

        public override void Flush()
        {
        }

        // Stream's default runs Flush on the thread pool; a socket has nothing to flush.
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private static int Checksum(ReadOnlySpan<byte> payload)
    {
        var sum = payload.Length;
        foreach (var b in payload)
        {
            sum = unchecked((sum * 31) + b);
        }

        return sum;
    }

    private static byte[] Call(uint serial, int payloadLength)
    {
        var payload = new byte[payloadLength];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(serial + (uint)i);
        }

        var frame = new byte[RpcFrameWriter.FrameSize(payloadLength)];
        RpcFrameWriter.WriteRaw(frame, new RpcHeader(Program, 1, RemoteProgram.Numbers.ConnectSupportsFeature, RpcMessageType.Call, serial, RpcStatus.Ok), payload);
        return frame;
    }

    private static int ExpectedChecksum(byte[] call) => Checksum(call.AsSpan(RpcLimits.MinFrameLength));

    /// <summary>Splits what the server wrote into packets: (serial, status, checksum).</summary>
    private static List<(uint Serial, RpcStatus Status, int Value)> Replies(ReadOnlySpan<byte> written)
    {
        var replies = new List<(uint, RpcStatus, int)>();
        while (!written.IsEmpty)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(written);
            var header = RpcHeader.Read(written[RpcLimits.LengthWordSize..]);
            Assert.Equal(RpcMessageType.Reply, header.Type);
            var value = header.Status == RpcStatus.Ok ? XdrCodec.Decode<IntRet>(written[RpcLimits.MinFrameLength..length]).Value : 0;
            replies.Add((header.Serial, header.Status, value));
            written = written[length..];
        }

        return replies;
    }

    private static async Task<(RpcServerConnection Server, ScriptedStream Stream)> ServeScriptAsync(IEnumerable<byte[]> chunks, RpcServerOptions? options = null)
    {
        var stream = new ScriptedStream(chunks);
        var server = new RpcServerConnection(stream, new ChecksumHandler(), options ?? new RpcServerOptions { KeepaliveInterval = 0 });
        await server.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return (server, stream);
    }

    [Fact]
    public async Task ResultThatFailsWhileEncoding_BecomesAnErrorReply_AndLaterCallsAreAnswered()
    {
        // Pipelined (replies held back in a batch: first in a new batch, then behind another reply) and alone
        // (written at once): every path stays usable.
        var faulty = ChecksumHandler.FaultyLength;
        var calls = new List<byte[]> { Call(1, faulty), Call(2, 4), Call(3, faulty), Call(4, 8), Call(5, faulty), Call(6, 2) };
        var (server, stream) = await ServeScriptAsync([[.. calls[0], .. calls[1], .. calls[2], .. calls[3]], calls[4], calls[5]]);
        var replies = Replies(stream.Written);
        Assert.Equal([1u, 2u, 3u, 4u, 5u, 6u], replies.Select(r => r.Serial));
        Assert.Equal([RpcStatus.Error, RpcStatus.Ok, RpcStatus.Error, RpcStatus.Ok, RpcStatus.Error, RpcStatus.Ok], replies.Select(r => r.Status));
        Assert.Equal(ExpectedChecksum(calls[5]), replies[5].Value);
        Assert.Equal("end of file from client", server.CloseReason);
    }

    private static void AssertAnsweredInOrder(IReadOnlyList<byte[]> calls, ScriptedStream stream)
    {
        var replies = Replies(stream.Written);
        Assert.Equal(calls.Count, replies.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            Assert.Equal(((uint)i + 1, RpcStatus.Ok, ExpectedChecksum(calls[i])), replies[i]);
        }
    }

    [Fact]
    public async Task PipelinedCallsInOneRead_AreAllAnsweredInOrder_InFewWrites()
    {
        var calls = Enumerable.Range(1, 200).Select(i => Call((uint)i, i % 40)).ToList();
        var (server, stream) = await ServeScriptAsync([calls.SelectMany(c => c).ToArray()]);

        AssertAnsweredInOrder(calls, stream);
        Assert.Equal("end of file from client", server.CloseReason);
        // One read for the burst (under the read buffer's size), and replies batched rather than one write each.
        Assert.Equal(1, stream.DataReads);
        Assert.InRange(stream.Writes, 1, 10);
    }

    [Fact]
    public async Task PacketsSplitAcrossTwoReads_AtEveryBytePosition_AreReassembled()
    {
        var calls = new List<byte[]> { Call(1, 0), Call(2, 13), Call(3, 40) };
        var bytes = calls.SelectMany(c => c).ToArray();
        for (var split = 1; split < bytes.Length; split++)
        {
            var (server, stream) = await ServeScriptAsync([bytes[..split], bytes[split..]]);
            AssertAnsweredInOrder(calls, stream);
            Assert.Equal("end of file from client", server.CloseReason);
        }
    }

    [Fact]
    public async Task OneByteReads_StillYieldEveryPacket()
    {
        var calls = Enumerable.Range(1, 5).Select(i => Call((uint)i, i * 7)).ToList();
        var (_, stream) = await ServeScriptAsync(calls.SelectMany(c => c).Select(b => new[] { b }));
        AssertAnsweredInOrder(calls, stream);
    }

    [Theory]
    [InlineData(3 * 1024 * 1024, 65_537)]
    [InlineData(20_000, 1)]
    [InlineData(RpcLimits.MaxPayloadSize, 1024 * 1024)]
    public async Task PacketBiggerThanTheReadBuffer_SpanningManyReads_ArrivesWhole(int payloadLength, int chunkSize)
    {
        // Small packets before and after: the big one starts mid-buffer and the next one shares its last read.
        var calls = new List<byte[]> { Call(1, 10), Call(2, payloadLength), Call(3, 10) };
        var bytes = calls.SelectMany(c => c).ToArray();
        var (_, stream) = await ServeScriptAsync(bytes.Chunk(chunkSize));
        AssertAnsweredInOrder(calls, stream);
    }

    [Fact]
    public async Task GarbageAfterValidPacketsInTheSameRead_ValidOnesAreAnswered_ThenTheClientIsClosed()
    {
        var calls = new List<byte[]> { Call(1, 4), Call(2, 8) };
        var (server, stream) = await ServeScriptAsync([[.. calls[0], .. calls[1], 0xff, 0xff, 0xff, 0xff, 1, 2, 3]]);
        AssertAnsweredInOrder(calls, stream);
        Assert.Contains("packet length 4294967295", server.CloseReason);
    }

    [Fact]
    public async Task TruncatedPacket_AtEndOfFile_ClosesWithAReason()
    {
        var calls = new List<byte[]> { Call(1, 4) };
        var (server, stream) = await ServeScriptAsync([[.. calls[0], .. Call(2, 100)[..50]]]);
        AssertAnsweredInOrder(calls, stream);
        Assert.Equal("end of file in the middle of a packet", server.CloseReason);
    }

    [Fact]
    public async Task TinyOutgoingLimit_PipelinedBurst_IsNotMistakenForAClientThatDoesNotRead()
    {
        // The replies to a burst are held back and sent together, but never up to the "not reading" limit.
        var calls = Enumerable.Range(1, 100).Select(i => Call((uint)i, 4)).ToList();
        var (server, stream) = await ServeScriptAsync([calls.SelectMany(c => c).ToArray()], new RpcServerOptions { KeepaliveInterval = 0, MaxOutgoingQueue = 2 });
        AssertAnsweredInOrder(calls, stream);
        Assert.Equal("end of file from client", server.CloseReason);
    }

    private static (Socket Client, NetworkStream Server) SocketPair()
    {
        var (client, server) = UnixSocketPair.Create();
        return (client, new NetworkStream(server, ownsSocket: true));
    }

    [Fact]
    public async Task CallsAlreadyBuffered_AreNotDispatchedBeyondMaxClientRequests()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, serverStream) = SocketPair();
        using var _ = client;
        var handler = new GatedHandler { Window = 3 };
        var server = new RpcServerConnection(serverStream, handler, new RpcServerOptions { MaxClientRequests = 3, KeepaliveInterval = 0 });
        var serving = server.RunAsync(ct);

        // Twenty calls in one write: they reach the server in (at most a few) reads, far more than its window.
        var calls = Enumerable.Range(1, 20).Select(i => Call((uint)i, i)).ToList();
        await client.SendAsync(calls.SelectMany(c => c).ToArray(), ct);
        await handler.WindowFull.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        handler.Gate.SetResult();

        var received = new byte[calls.Count * (RpcLimits.MinFrameLength + 4)];
        await using (var reader = new NetworkStream(client, ownsSocket: false))
        {
            await reader.ReadExactlyAsync(received, ct);
        }

        // Every call answered once, with its own payload's checksum (replies of concurrent calls may come in any order).
        Assert.Equal(
            calls.Select((c, i) => ((uint)i + 1, RpcStatus.Ok, ExpectedChecksum(c))),
            Replies(received).OrderBy(r => r.Serial));
        Assert.Equal(3, handler.MaxInFlight);
        client.Shutdown(SocketShutdown.Send);
        await serving.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task StreamData_ToAClientNotReading_WaitsForRoom_ThenFollowsTheReplyInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, serverStream) = SocketPair();
        await using var reader = new NetworkStream(client, ownsSocket: true);
        var handler = new StreamOpeningHandler();
        var server = new RpcServerConnection(serverStream, handler, new RpcServerOptions { KeepaliveInterval = 0 });
        var serving = server.RunAsync(ct);
        await reader.WriteAsync(Call(7, 0), ct);
        var stream = await handler.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        // Send chunks until one has to wait: the client reads nothing, so the socket fills, then the queue behind it.
        var chunk = new byte[RpcServerStream.MaxChunk];
        var sent = 0;
        ValueTask pending;
        while (true)
        {
            chunk.AsSpan().Fill((byte)sent);
            pending = stream.SendAsync(chunk, ct);
            sent++;
            if (!pending.IsCompleted)
            {
                break;
            }

            await pending;
            Assert.True(sent < 1000, "stream data is never held back");
        }

        // Held back, not dropped and not "not reading": the connection is intact, its queue bounded.
        Assert.Null(server.CloseReason);
        var reply = new byte[RpcLimits.MinFrameLength];
        await reader.ReadExactlyAsync(reply, ct);
        Assert.Equal((RpcMessageType.Reply, 7u, RpcStatus.Ok), (RpcHeader.Read(reply.AsSpan(4)).Type, RpcHeader.Read(reply.AsSpan(4)).Serial, RpcHeader.Read(reply.AsSpan(4)).Status));
        var packet = new byte[RpcLimits.MinFrameLength + RpcServerStream.MaxChunk];
        for (var i = 0; i < sent; i++)
        {
            await reader.ReadExactlyAsync(packet, ct);
            var header = RpcHeader.Read(packet.AsSpan(4));
            Assert.Equal((RpcMessageType.Stream, 7u, RpcStatus.Continue), (header.Type, header.Serial, header.Status));
            Assert.True(packet.AsSpan(RpcLimits.MinFrameLength).IndexOfAnyExcept((byte)i) < 0, $"chunk {i} out of order");
            if (i == 0)
            {
                // Reading made room: the waiting chunk goes out too.
                await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            }
        }

        Assert.True(SpinWait.SpinUntil(() => !server.HoldsBuffers, TimeSpan.FromSeconds(10)), "a drained connection still holds a buffer");
        client.Shutdown(SocketShutdown.Send);
        await serving.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    private static async Task<(Stream Client, Stream Server)> TlsPairAsync(CancellationToken cancellationToken)
    {
        var (client, server) = SocketPair();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var serverTls = new SslStream(server);
        var thumbprint = certificate.GetCertHashString();
        var clientTls = new SslStream(new NetworkStream(client, ownsSocket: true), false, (_, presented, _, _) => presented?.GetCertHashString() == thumbprint);
        await Task.WhenAll(
            serverTls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, cancellationToken),
            clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" }, cancellationToken));
        return (clientTls, serverTls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task IdleConnection_HoldsNoBuffers_AfterServingCalls(bool tls)
    {
        var ct = TestContext.Current.CancellationToken;
        Stream client;
        Stream serverStream;
        if (tls)
        {
            (client, serverStream) = await TlsPairAsync(ct);
        }
        else
        {
            var (socket, stream) = SocketPair();
            (client, serverStream) = (new NetworkStream(socket, ownsSocket: true), stream);
        }

        await using var _ = client;
        var server = new RpcServerConnection(serverStream, new ChecksumHandler(), new RpcServerOptions { KeepaliveInterval = 0 });
        var serving = server.RunAsync(ct);
        var calls = Enumerable.Range(1, 10).Select(i => Call((uint)i, 100 * i)).ToList();
        await client.WriteAsync(calls.SelectMany(c => c).ToArray(), ct);
        var replies = new byte[10 * (RpcLimits.MinFrameLength + 4)];
        await client.ReadExactlyAsync(replies, ct);
        Assert.Equal(10, Replies(replies).Count);

        // The replies are written before the reader goes back to waiting; it lets go of its buffer just after.
        Assert.True(SpinWait.SpinUntil(() => !server.HoldsBuffers, TimeSpan.FromSeconds(10)), "an idle connection still holds a buffer");

        // Waiting without a buffer still notices data.
        await client.WriteAsync(Call(11, 3), ct);
        await client.ReadExactlyAsync(replies.AsMemory(0, RpcLimits.MinFrameLength + 4), ct);
        Assert.Equal((11u, RpcStatus.Ok), (Replies(replies.AsSpan(0, RpcLimits.MinFrameLength + 4))[0].Serial, Replies(replies.AsSpan(0, RpcLimits.MinFrameLength + 4))[0].Status));
        await client.DisposeAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
