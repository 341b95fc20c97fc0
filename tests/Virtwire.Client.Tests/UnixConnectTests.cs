using System.Net.Sockets;

namespace Virtwire.Client.Tests;

/// <summary>Connecting to a unix socket whose listener has a full backlog waits for room instead of failing with EAGAIN.</summary>
public sealed class UnixConnectTests
{
    [Fact]
    public async Task FullBacklog_ConnectWaitsForRoom_ThenSucceeds()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(Directory.CreateTempSubdirectory("vw-uc-").FullName, "s");
        var uri = VirtUri.Parse($"test+unix:///default?socket={path}");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(0);

        // Fill the backlog: non-blocking connects until the kernel says EAGAIN.
        var queued = new List<Socket>();
        try
        {
            while (true)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                try
                {
                    s.Connect(new UnixDomainSocketEndPoint(path));
                    queued.Add(s);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain)
                {
                    s.Dispose();
                    break;
                }
            }

            var connecting = Transports.ConnectAsync(uri, readOnly: false, ct).AsTask();
            Assert.False(connecting.IsCompleted);

            // Accepting one queued client makes room; the waiting connect then gets through and is accepted too.
            using (await listener.AcceptAsync(ct))
            {
            }

            await using var stream = await connecting.WaitAsync(TimeSpan.FromSeconds(10), ct);
            await stream.WriteAsync(new byte[] { 42 }, ct);

            // It is one of the connections still queued on the listener: the one that has the byte.
            var found = false;
            for (var i = 0; i < queued.Count && !found; i++)
            {
                using var peer = await listener.AcceptAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
                found = peer.Poll(100_000, SelectMode.SelectRead) && peer.Available == 1;
            }

            Assert.True(found);
        }
        finally
        {
            foreach (var s in queued)
            {
                s.Dispose();
            }
        }
    }
}
