using Virtwire.Protocol;
using Virtwire.Daemon;

namespace Virtwire.Daemon.Tests;

public sealed class ConfigTests
{
    private const string Sample = """
        # libvirtd.conf as shipped, trimmed
        listen_tls = 0
        listen_tcp = 1          # trailing comment
        listen_addr = "127.0.0.1"
        tcp_port = "16600"
        unix_sock_dir = "/tmp/vw-run"
        unix_sock_ro_perms = "0777"
        unix_sock_rw_perms = "0770"
        auth_tcp = "none"
        max_clients = 10
        max_client_requests = 7
        keepalive_interval = -1
        tls_allowed_dn_list = ["C=GB,CN=DN1", "DN2",
                               "DN # not a comment"]
        some_future_key = "x"
        """;

    [Fact]
    public void Parse_ReadsLibvirtdSyntax()
    {
        var config = DaemonConfig.Parse(Sample, "libvirtd.conf");
        Assert.True(config.GetBool("listen_tcp", false));
        Assert.Equal("127.0.0.1", config.GetString("listen_addr", ""));
        Assert.Equal(10, config.GetInt("max_clients", 0));
        Assert.Equal(-1, config.GetInt("keepalive_interval", 5));
        Assert.Equal(["C=GB,CN=DN1", "DN2", "DN # not a comment"], config.GetList("tls_allowed_dn_list"));
        Assert.Equal(["some_future_key"], config.UnknownKeys);
    }

    [Fact]
    public void Settings_FollowLibvirtdDefaultsAndWarnOnUnknownKeys()
    {
        var warnings = new List<string>();
        var settings = DaemonSettings.From(DaemonConfig.Parse(Sample, "c"), listen: true, warnings.Add);
        Assert.True(settings.ListenTcp);
        Assert.Equal(16600, settings.TcpPort);
        Assert.Equal("/tmp/vw-run", settings.UnixSockDir);
        Assert.Equal(Convert.ToInt32("0770", 8), (int)settings.UnixSockRwPerms);
        Assert.Equal(7, settings.MaxClientRequests);
        Assert.Contains(warnings, w => w.Contains("some_future_key", StringComparison.Ordinal));

        var quiet = DaemonSettings.From(DaemonConfig.Parse("listen_tls = 0\nunix_sock_dir = \"/x\"", "c"), listen: false, _ => { });
        Assert.False(quiet.ListenTcp);
        Assert.Equal(5, quiet.MaxClientRequests);
        Assert.Equal(16509, quiet.TcpPort);
        Assert.Equal(5000, quiet.MaxClients);
    }

    [Theory]
    [InlineData("listen_tcp 1", "expected 'key = value'")]
    [InlineData("listen_addr = 127.0.0.1", "expected a number or a quoted string")]
    [InlineData("list = [\"a\", b]", "list items must be quoted strings")]
    [InlineData("list = [\"a\"", "list is not closed")]
    [InlineData("bad-key = 1", "invalid key")]
    public void SyntaxErrors_NameTheLine(string text, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => DaemonConfig.Parse("# first\n" + text, "f.conf"));
        Assert.Contains("f.conf:2", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auth_tcp = \"polkit\"")]
    [InlineData("auth_unix_rw = \"kerberos\"")]
    public void UnsupportedAuth_IsAClearStartupError(string line) =>
        Assert.Contains("is not supported", Assert.Throws<ConfigException>(() => DaemonSettings.From(DaemonConfig.Parse(line, "c"), listen: true, _ => { })).Message,
            StringComparison.Ordinal);

    [Fact]
    public void AuthDefaults_AreLibvirtds_AndSaslKeysAreRead()
    {
        var defaults = DaemonSettings.From(DaemonConfig.Parse("", "c"), listen: true, _ => { });
        Assert.Equal((AuthType.Sasl, AuthType.None, AuthType.None, AuthType.None), (defaults.AuthTcp, defaults.AuthTls, defaults.AuthUnixRw, defaults.AuthUnixRo));
        var settings = DaemonSettings.From(DaemonConfig.Parse(
            "auth_unix_rw = \"sasl\"\nsasl_db = \"/x/passwd.db\"\nsasl_allowed_username_list = [ \"a\", \"b*\" ]\nmax_anonymous_clients = 7", "c"),
            listen: true, _ => { });
        Assert.Equal((AuthType.Sasl, "/x/passwd.db", 7), (settings.AuthUnixRw, settings.SaslDb, settings.MaxAnonymousClients));
        Assert.Equal(["a", "b*"], settings.SaslAllowedUsernameList);
    }

    [Fact]
    public void ListenTls_IsOnByDefaultWithListen_LikeLibvirtd()
    {
        var settings = DaemonSettings.From(DaemonConfig.Parse("tls_port = \"1234\"\nca_file = \"/x/ca.pem\"", "c"), listen: true, _ => { });
        Assert.True(settings.ListenTls);
        Assert.Equal((1234, "/x/ca.pem", "/etc/pki/libvirt/servercert.pem"), (settings.TlsPort, settings.CaFile, settings.CertFile));
    }

    [Theory]
    [InlineData(new[] { "-l", "-f", "a.conf", "-p", "p.pid", "-t", "30", "-v" }, true, "a.conf", "p.pid", 30)]
    [InlineData(new[] { "--listen", "--config=b.conf", "--pid-file", "q.pid" }, true, "b.conf", "q.pid", 0)]
    [InlineData(new string[0], false, null, null, 0)]
    public void Arguments_AreLibvirtds(string[] args, bool listen, string? config, string? pid, int timeout)
    {
        var parsed = DaemonArguments.Parse(args, out var error);
        Assert.Null(error);
        Assert.Equal((listen, config, pid, timeout), (parsed!.Listen, parsed.ConfigFile, parsed.PidFile, parsed.TimeoutSeconds));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-t")]
    [InlineData("-f")]
    public void BadArguments_AreReported(string arg)
    {
        Assert.Null(DaemonArguments.Parse([arg], out var error));
        Assert.NotNull(error);
    }
}
