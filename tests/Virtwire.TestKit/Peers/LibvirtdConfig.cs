using System.Net;
using System.Net.Sockets;

namespace Virtwire.TestKit.Peers;

/// <summary>One libvirtd.conf for both daemons, so that both are started the same way.</summary>
public static class LibvirtdConfig
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string Write(string directory, int port, string? extra = null)
    {
        var run = Path.Combine(directory, "run");
        Directory.CreateDirectory(run);
        var path = Path.Combine(directory, "libvirtd.conf");
        File.WriteAllText(path, $"""
            # written by Virtwire.TestKit
            listen_tls = 0
            listen_tcp = 1
            listen_addr = "127.0.0.1"
            tcp_port = "{port}"
            auth_tcp = "none"
            auth_unix_rw = "none"
            auth_unix_ro = "none"
            unix_sock_dir = "{run}"
            """);
        if (extra is not null)
        {
            // A later key wins, as in libvirtd's parser; TLS is on by default once listening, so drop the "off".
            var text = File.ReadAllText(path);
            if (extra.Contains("tls", StringComparison.Ordinal))
            {
                text = text.Replace("listen_tls = 0\n", string.Empty, StringComparison.Ordinal);
            }

            File.WriteAllText(path, text + "\n" + extra + "\n");
        }

        return path;
    }
}
