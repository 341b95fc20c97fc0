using System.Net.Sockets;

namespace Virtwire.Rpc;

/// <summary>
/// One thread per process that waits, in poll(2), for the replies of calls whose caller gave up reading for itself
/// (a reply slower than <see cref="RpcClientOptions.CallerReadWait"/>). The runtime's asynchronous read would do
/// the same job, but once it has watched a socket with epoll it wakes on every later reply too, and that wake-up costs
/// a lone call more than all its own work; a connection handled here goes back to lone calls once its reply is in.
/// The thread is started by the first slow reply and then sleeps in poll(2) when nothing is parked.
/// </summary>
internal static class ParkedReplyPoller
{
    private static readonly Lock Gate = new();
    private static readonly List<RpcClientConnection> Parked = [];
    private static Socket? s_wakeSender;
    private static Socket? s_wakeReceiver;
    private static bool s_wakePending;

    /// <summary>
    /// Hands <paramref name="connection"/>'s reading to the poller thread (the connection holds the poller role).
    /// False when the poller cannot run here (no unix socket pair for its wake-ups): the caller uses its loop instead.
    /// </summary>
    public static bool Park(RpcClientConnection connection)
    {
        lock (Gate)
        {
            if (!EnsureStarted())
            {
                return false;
            }

            Parked.Add(connection);
            if (s_wakePending)
            {
                return true;
            }

            s_wakePending = true;
        }

        // The poller may be in poll(2) without this socket: one byte makes it look again.
        s_wakeSender!.Send([1]);
        return true;
    }

    /// <summary>Makes the poller look at its connections again (one of them broke or was disposed).</summary>
    public static void Wake()
    {
        lock (Gate)
        {
            if (s_wakeSender is null || s_wakePending)
            {
                return;
            }

            s_wakePending = true;
        }

        s_wakeSender.Send([1]);
    }

    private static bool s_unavailable;

    private static bool EnsureStarted()
    {
        if (s_wakeSender is not null || s_unavailable)
        {
            return !s_unavailable;
        }

        // A connected pair of unix sockets to interrupt poll(2); the listener's path is gone once they are connected.
        var directory = Directory.CreateTempSubdirectory("virtwire-poller-").FullName;
        try
        {
            var endpoint = new UnixDomainSocketEndPoint(Path.Combine(directory, "s"));
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(endpoint);
            listener.Listen(1);
            var sender = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            sender.Connect(endpoint);
            s_wakeReceiver = listener.Accept();
            s_wakeSender = sender;
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            s_unavailable = true;
            return false;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        new Thread(Run) { IsBackground = true, Name = "Virtwire reply poller" }.Start();
        return true;
    }

    private static void Run()
    {
        var watched = new List<RpcClientConnection>();
        var ready = new List<Socket>();
        var drain = new byte[64];
        while (true)
        {
            watched.Clear();
            ready.Clear();
            lock (Gate)
            {
                // Connections that broke meanwhile have nothing left to read for.
                Parked.RemoveAll(static c => !c.IsConnected);
                watched.AddRange(Parked);
                s_wakePending = false;
            }

            ready.Add(s_wakeReceiver!);
            foreach (var connection in watched)
            {
                ready.Add(connection.ParkedSocket);
            }

            try
            {
                Socket.Select(ready, null, null, -1);
            }
            catch (ObjectDisposedException)
            {
                // A parked connection was disposed under the poll: drop it and look again.
                lock (Gate)
                {
                    Parked.RemoveAll(static c => !c.IsConnected || c.ParkedSocket.SafeHandle.IsClosed);
                }

                continue;
            }

            foreach (var socket in ready)
            {
                if (socket == s_wakeReceiver)
                {
                    s_wakeReceiver.Receive(drain);
                    continue;
                }

                var connection = watched.Find(c => c.ParkedSocket == socket);
                if (connection is not null && !connection.OnParkedReadable())
                {
                    lock (Gate)
                    {
                        Parked.Remove(connection);
                    }
                }
            }
        }
    }
}
