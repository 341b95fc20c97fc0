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
            // libvirtd's parser takes the *first* of duplicate keys, virtwired's the last: keep only the last line of
            // each key, so that both daemons read the same settings whatever the order of the pieces.
            static string Key(string line) => line.Contains('=', StringComparison.Ordinal) ? line.Split('=')[0].Trim() : string.Empty;
            var lines = File.ReadAllLines(path).Concat(extra.Split('\n')).ToList();
            var kept = lines.Where((line, i) => Key(line).Length == 0 || Key(line).StartsWith('#') ||
                !lines.Skip(i + 1).Any(later => Key(later) == Key(line)));
            File.WriteAllText(path, string.Join("\n", kept) + "\n");
        }

        return path;
    }
}
