using Microsoft.Extensions.Time.Testing;
using Virtwire.Rpc;

namespace Virtwire.Rpc.Tests;

/// <summary>libvirt's keepalive rules on the client: ping after silence, give up after count unanswered pings.</summary>
public sealed class KeepaliveTests
{
    [Fact]
    public async Task SilentServer_IsPinged_ThenDeclaredDead()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        var dir = Directory.CreateTempSubdirectory("vw-ka-").FullName;
        var path = Path.Combine(dir, "s");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var clientSocket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await clientSocket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), ct);
        using var serverSocket = await listener.AcceptAsync(ct);
        await using var server = new System.Net.Sockets.NetworkStream(serverSocket);
        await using var client = new RpcClientConnection(new System.Net.Sockets.NetworkStream(clientSocket, ownsSocket: true),
            new RpcClientOptions { TimeProvider = time, DefaultTimeout = Timeout.InfiniteTimeSpan });

        client.StartKeepalive(TimeSpan.FromSeconds(5), count: 2);
        var frame = new byte[28];
        for (var ping = 0; ping < 2; ping++)
        {
            // Each interval of silence produces one PING (keepalive program, procedure 1, type MESSAGE).
            var read = server.ReadExactlyAsync(frame, ct).AsTask();
            while (!read.IsCompleted)
            {
                time.Advance(TimeSpan.FromSeconds(5));
                await Task.WhenAny(read, Task.Delay(20, ct));
            }

            await read;
            var header = RpcHeader.Read(frame.AsSpan(4));
            Assert.Equal((RpcServerConnection.KeepaliveProgram, 1, RpcMessageType.Message), (header.Program, header.Procedure, header.Type));
        }

        // Count pings unanswered and another silent interval: the connection is dead.
        while (client.IsConnected)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(Task.Delay(20, ct), Task.Delay(Timeout.Infinite, client.Closed));
        }

        Assert.Contains("keepalive timeout", client.Failure!.Message, StringComparison.Ordinal);
    }
}
