using System.Net.Sockets;

namespace Virtwire.TestKit;

/// <summary>A connected pair of unix stream sockets, as a daemon and its client have (the listener is gone once accepted).</summary>
public static class UnixSocketPair
{
    public static (Socket Client, Socket Server) Create()
    {
        var directory = Directory.CreateTempSubdirectory("vw-pair-").FullName;
        try
        {
            var path = System.IO.Path.Combine(directory, "s");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            return (client, listener.Accept());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
