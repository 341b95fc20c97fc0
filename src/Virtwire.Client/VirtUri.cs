using System.Globalization;
using System.Text;

namespace Virtwire.Client;

/// <summary>How a connection reaches the daemon.</summary>
public enum VirtTransport
{
    /// <summary>No daemon: the driver runs in this process (only <c>test:///…</c>).</summary>
    InProcess,
    Unix,
    Tcp,
    Tls,
    Ssh,
    LibSsh,
    LibSsh2,
    Ext,
}

/// <summary>
/// A libvirt connection URI, parsed as libvirt's remote driver does (protocol-facts §11):
/// <c>driver[+transport]://[user@][host][:port]/path[?params]</c>.
/// </summary>
public sealed record VirtUri
{
    /// <summary>Parameters the client consumes itself; they never reach the server.</summary>
    private static readonly HashSet<string> ClientParams = new(StringComparer.OrdinalIgnoreCase)
    {
        "name", "command", "socket", "auth", "sshauth", "netcat", "keyfile", "pkipath", "known_hosts", "known_hosts_verify",
        "tls_priority", "mode", "proxy", "no_sanity", "no_verify", "no_tty", "authfile",
    };

    public required string Original { get; init; }

    /// <summary>The driver part of the scheme: test, qemu, remote, …</summary>
    public required string Driver { get; init; }

    public required VirtTransport Transport { get; init; }

    public string? User { get; init; }

    public string? Host { get; init; }

    public int? Port { get; init; }

    public required string Path { get; init; }

    /// <summary>All query parameters in order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; }

    public string? this[string name] => Parameters.LastOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The port to connect to for TCP (16509) and TLS (16514) by default.</summary>
    public int EffectivePort => Port ?? (Transport == VirtTransport.Tls ? 16514 : 16509);

    public string EffectiveHost => string.IsNullOrEmpty(Host) ? "localhost" : Host;

    /// <summary>
    /// The name sent in CONNECT_OPEN: <c>?name=</c> if given; "" for <c>remote://</c>; else the URI with
    /// scheme = driver, the path and the parameters not meant for the client (user, host, port dropped).
    /// </summary>
    public string OpenName
    {
        get
        {
            if (this["name"] is { } name)
            {
                return name;
            }

            if (Driver.Equals("remote", StringComparison.OrdinalIgnoreCase))
            {
                return string.Empty;
            }

            var builder = new StringBuilder(Driver).Append("://").Append(Path);
            var rest = Parameters.Where(p => !ClientParams.Contains(p.Key)).ToList();
            if (rest.Count > 0)
            {
                builder.Append('?').Append(string.Join('&', rest.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))));
            }

            return builder.ToString();
        }
    }

    /// <summary>Parses a URI; throws <see cref="VirtException"/> (libvirt's code and message) when it is invalid.</summary>
    public static VirtUri Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw VirtException.InvalidUri(uri, "missing scheme");
        }

        var scheme = uri[..schemeEnd];
        var rest = uri[(schemeEnd + 3)..];
        var plus = scheme.IndexOf('+', StringComparison.Ordinal);
        var driver = plus < 0 ? scheme : scheme[..plus];
        var transportName = plus < 0 ? null : scheme[(plus + 1)..];

        string query = string.Empty;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "/" : rest[slash..];
        string? user = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = Uri.UnescapeDataString(authority[..at]);
            authority = authority[(at + 1)..];
        }

        string? host = authority;
        int? port = null;
        var colon = authority.StartsWith('[') ? authority.IndexOf("]:", StringComparison.Ordinal) + 1 : authority.LastIndexOf(':');
        if (colon > 0)
        {
            if (!int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                throw VirtException.InvalidUri(uri, "invalid port");
            }

            port = p;
            host = authority[..colon];
        }

        host = host.Trim('[', ']');
        if (host.Length == 0)
        {
            host = null;
        }

        var parameters = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            return eq < 0
                ? new KeyValuePair<string, string>(Uri.UnescapeDataString(pair), string.Empty)
                : new KeyValuePair<string, string>(Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' ')));
        }).ToList();

        VirtTransport transport;
        if (transportName is null)
        {
            // No transport: the test driver runs in-process without a host; other drivers use TLS with a host, unix without.
            transport = host is null
                ? driver.Equals("test", StringComparison.OrdinalIgnoreCase) ? VirtTransport.InProcess : VirtTransport.Unix
                : VirtTransport.Tls;
        }
        else
        {
            transport = transportName.ToLowerInvariant() switch
            {
                "unix" => VirtTransport.Unix,
                "tcp" => VirtTransport.Tcp,
                "tls" => VirtTransport.Tls,
                "ssh" => VirtTransport.Ssh,
                "libssh" => VirtTransport.LibSsh,
                "libssh2" => VirtTransport.LibSsh2,
                "ext" => VirtTransport.Ext,
                _ => throw VirtException.InvalidUri(uri, $"transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)"),
            };
        }

        if (transport == VirtTransport.Unix && host is not null)
        {
            throw VirtException.InvalidUri(uri, "using unix socket and remote server 'host' is not supported");
        }

        return new VirtUri
        {
            Original = uri,
            Driver = driver,
            Transport = transport,
            User = user,
            Host = host,
            Port = port,
            Path = path,
            Parameters = parameters,
        };
    }

    /// <summary>The unix socket path: <c>?socket=</c>, else libvirt's default for the privilege level.</summary>
    public string SocketPath(bool readOnly)
    {
        if (this["socket"] is { Length: > 0 } socket)
        {
            return socket;
        }

        var system = Path.EndsWith("/system", StringComparison.Ordinal) || Environment.UserName == "root" || Driver == "test";
        if (system)
        {
            return readOnly ? "/run/libvirt/libvirt-sock-ro" : "/run/libvirt/libvirt-sock";
        }

        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") ??
            System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(runtime, "libvirt", "libvirt-sock");
    }

    public override string ToString() => Original;
}
