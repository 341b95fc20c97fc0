using Virtwire.Protocol;
using Virtwire.Drivers.Qemu;
using Virtwire.Rpc;

namespace Virtwire.Daemon;

/// <summary>The settings virtwired runs with: libvirtd.conf keys with libvirtd's defaults (protocol-facts §13).</summary>
internal sealed record DaemonSettings
{
    public bool ListenTcp { get; init; }

    public bool ListenTls { get; init; }

    public string ListenAddr { get; init; } = "0.0.0.0";

    public int TcpPort { get; init; } = 16509;

    public required string UnixSockDir { get; init; }

    public string? UnixSockGroup { get; init; }

    public UnixFileMode UnixSockRoPerms { get; init; } = (UnixFileMode)Convert.ToInt32("0777", 8);

    public UnixFileMode UnixSockRwPerms { get; init; } = (UnixFileMode)Convert.ToInt32("0700", 8);

    public int MaxClients { get; init; } = 5000;

    public int MaxAnonymousClients { get; init; } = 20;

    public int MaxWorkers { get; init; } = 20;

    public int MaxClientRequests { get; init; } = 5;

    public int KeepaliveInterval { get; init; } = 5;

    public int KeepaliveCount { get; init; } = 5;

    public int TlsPort { get; init; } = 16514;

    public string KeyFile { get; init; } = "/etc/pki/libvirt/private/serverkey.pem";

    public string CertFile { get; init; } = "/etc/pki/libvirt/servercert.pem";

    public string CaFile { get; init; } = "/etc/pki/CA/cacert.pem";

    public bool TlsNoVerifyCertificate { get; init; }

    /// <summary>crl_file: client certificates it lists are refused (libvirt's default is used only when it exists).</summary>
    public string? CrlFile { get; init; }

    public IReadOnlyList<string> TlsAllowedDnList { get; init; } = [];

    /// <summary>Auth per listener (libvirtd's auth_unix_rw, auth_unix_ro, auth_tcp, auth_tls): none or SASL.</summary>
    public AuthType AuthUnixRw { get; init; } = AuthType.None;

    public AuthType AuthUnixRo { get; init; } = AuthType.None;

    public AuthType AuthTcp { get; init; } = AuthType.None;

    public AuthType AuthTls { get; init; } = AuthType.None;

    /// <summary>Virtwire's SASL user database (SCRAM keys, managed with <c>virtwire saslpasswd</c>).</summary>
    public string SaslDb { get; init; } = Virtwire.Rpc.Sasl.ScramCredentialStore.DefaultPath();

    public IReadOnlyList<string> SaslAllowedUsernameList { get; init; } = [];

    /// <summary>The QEMU driver's directories: under <c>qemu_root</c> when set, else the system or per-user defaults.</summary>
    public required QemuDriverOptions Qemu { get; init; }

    /// <summary>Builds settings from a config file (or none: the embedded default).</summary>
    public static DaemonSettings From(DaemonConfig? config, bool listen, Action<string> warn)
    {
        if (config is null)
        {
            // The embedded default: sockets under ./run, and with --listen plain TCP on loopback only.
            return new DaemonSettings
            {
                UnixSockDir = Path.GetFullPath("run"),
                Qemu = QemuDriverOptions.ForRoot(Path.GetFullPath("run")),
                ListenTcp = listen,
                ListenAddr = "127.0.0.1",
            };
        }

        foreach (var key in config.UnknownKeys)
        {
            warn($"unknown configuration key '{key}' ignored");
        }

        AuthType Auth(string key, string fallback) => config.GetString(key, fallback) switch
        {
            "none" => AuthType.None,
            "sasl" => AuthType.Sasl,
            var other => throw new ConfigException($"{key} = \"{other}\" is not supported (\"none\" or \"sasl\"; polkit is not available)"),
        };

        var listenTls = listen && config.GetBool("listen_tls", fallback: true);
        var tlsPortText = config.GetString("tls_port", "16514");
        if (!int.TryParse(tlsPortText, out var tlsPort) || tlsPort is < 0 or > 65535)
        {
            throw new ConfigException($"tls_port must be a port number, got '{tlsPortText}'");
        }

        var port = config.GetString("tcp_port", "16509");
        if (!int.TryParse(port, out var tcpPort) || tcpPort is < 0 or > 65535)
        {
            throw new ConfigException($"tcp_port must be a port number, got '{port}'");
        }

        return new DaemonSettings
        {
            // libvirtd's defaults: SASL on plain TCP, none elsewhere (Debian builds without polkit for unix sockets use none).
            AuthUnixRw = Auth("auth_unix_rw", "none"),
            AuthUnixRo = Auth("auth_unix_ro", "none"),
            AuthTcp = Auth("auth_tcp", "sasl"),
            AuthTls = Auth("auth_tls", "none"),
            SaslDb = Path.GetFullPath(config.GetString("sasl_db", Virtwire.Rpc.Sasl.ScramCredentialStore.DefaultPath())),
            SaslAllowedUsernameList = config.GetList("sasl_allowed_username_list"),
            ListenTcp = listen && config.GetBool("listen_tcp", fallback: false),
            ListenTls = listenTls,
            TlsPort = tlsPort,
            KeyFile = config.GetString("key_file", "/etc/pki/libvirt/private/serverkey.pem"),
            CertFile = config.GetString("cert_file", "/etc/pki/libvirt/servercert.pem"),
            CaFile = config.GetString("ca_file", "/etc/pki/CA/cacert.pem"),
            TlsNoVerifyCertificate = config.GetBool("tls_no_verify_certificate", fallback: false),
            CrlFile = config.GetStringOrNull("crl_file") ?? (File.Exists("/etc/pki/CA/cacrl.pem") ? "/etc/pki/CA/cacrl.pem" : null),
            TlsAllowedDnList = config.GetList("tls_allowed_dn_list"),
            ListenAddr = config.GetString("listen_addr", "0.0.0.0"),
            TcpPort = tcpPort,
            UnixSockDir = Path.GetFullPath(config.GetString("unix_sock_dir", DefaultSocketDir())),
            Qemu = config.GetStringOrNull("qemu_root") is { } qemuRoot ? QemuDriverOptions.ForRoot(Path.GetFullPath(qemuRoot)) : QemuDriverOptions.ForUser(),
            UnixSockGroup = config.GetStringOrNull("unix_sock_group"),
            UnixSockRoPerms = config.GetPerms("unix_sock_ro_perms", "0777"),
            UnixSockRwPerms = config.GetPerms("unix_sock_rw_perms", "0700"),
            MaxClients = (int)config.GetInt("max_clients", 5000),
            MaxAnonymousClients = (int)config.GetInt("max_anonymous_clients", 20),
            MaxWorkers = (int)config.GetInt("max_workers", 20),
            MaxClientRequests = (int)config.GetInt("max_client_requests", 5),
            KeepaliveInterval = (int)config.GetInt("keepalive_interval", 5),
            KeepaliveCount = (int)config.GetInt("keepalive_count", 5),
        };
    }

    private static string DefaultSocketDir() =>
        Environment.UserName == "root" ? "/run/libvirt" :
        Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "libvirt");

    public RpcServerOptions ToServerOptions(Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) => new()
    {
        MaxClientRequests = MaxClientRequests,
        KeepaliveInterval = KeepaliveInterval,
        KeepaliveCount = KeepaliveCount,
        LoggerFactory = loggerFactory,
    };
}
