using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Virtwire.Drivers.Test;
using Virtwire.Rpc;
using Virtwire.Server;

namespace Virtwire.Client.Tests;

/// <summary>Runs alone: a calling-thread read is limited per process, and another test's call could hold it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TcpConnectCollection
{
    public const string Name = "tcp connect";
}

/// <summary>
/// TCP connections are made without an asynchronous operation (so lone calls can read their own replies, as on unix
/// sockets), by host name or address, and the connect can be cancelled while the server does not answer.
/// </summary>
[Collection(TcpConnectCollection.Name)]
public sealed class TcpConnectTests
{
    [Fact]
    public async Task ByHostName_LoneCallsCompleteOnTheCallingThread()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var server = new RemoteServer([new TestDriver()], NullLoggerFactory.Instance);
        var serving = Task.Run(async () =>
        {
            var accepted = await listener.AcceptAsync(stop.Token);
            await server.ServeAsync(new NetworkStream(accepted, ownsSocket: true), readOnly: false, "tcp", RpcServerOptions.Default, stop.Token);
        }, ct);

        // "localhost" may resolve to ::1 first, where nobody listens: the next address is tried, as libvirt does.
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        await using (var conn = await VirtConnection.OpenAsync($"test+tcp://localhost:{port}/default",
            new VirtConnectionOptions { CallerReadWait = TimeSpan.FromSeconds(30) }, ct))
        {
            var domain = await conn.LookupDomainByNameAsync("test", ct);
            await Task.Run(async () =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var call = domain.GetInfoAsync(ct);
                    Assert.True(call.IsCompleted == Environment.ProcessorCount >= 2, $"call {i} completed on the calling thread: {call.IsCompleted}");
                    Assert.Equal(2, (await call).VirtCpus);
                }
            }, ct);
        }

        await serving.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task ServerNeverAnswers_ConnectIsCancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        // A listener nobody accepts from, with no backlog: once its queue is full the kernel drops new handshakes, so
        // a connect waits (the kernel would retry for minutes). Connects that complete fill the queue meanwhile.
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var uri = VirtUri.Parse($"test+tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/default");
        var queued = new List<Stream>();
        try
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var connecting = Transports.ConnectAsync(uri, readOnly: false, cancel.Token).AsTask();
                if (!connecting.IsCompleted)
                {
                    await cancel.CancelAsync();
                    try
                    {
                        queued.Add(await connecting.WaitAsync(TimeSpan.FromSeconds(10), ct));
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // Cancelled while the handshake was unanswered.
                        return;
                    }

                    // It completed just before the cancellation (a slow machine): the queue is fuller; go on.
                    continue;
                }

                queued.Add(await connecting);
            }

            Assert.Fail($"50 connects to a listener that never accepts all completed ({queued.Count} queued)");
        }
        finally
        {
            foreach (var stream in queued)
            {
                await stream.DisposeAsync();
            }
        }
    }
}
