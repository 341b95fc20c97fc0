using Virtwire.Rpc.Sasl;

namespace Virtwire.TestKit.Peers;

/// <summary>
/// SASL users for both daemons, made by the test: Cyrus's sasldb (written with Debian's saslpasswd2, read by real
/// libvirtd through a private SASL_CONF_PATH) and virtwired's SCRAM database, holding the same users and passwords.
/// </summary>
public sealed class TestSasl
{
    public const string SaslPasswd2 = "/usr/sbin/saslpasswd2";

    private TestSasl(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>Directory of Cyrus's libvirt.conf, for libvirtd's SASL_CONF_PATH.</summary>
    public string CyrusConfigPath => Path.Combine(Directory, "cyrus");

    public string VirtwireDatabase => Path.Combine(Directory, "virtwire-passwd.db");

    /// <summary>libvirtd.conf lines for virtwired (libvirtd ignores sasl_db but warns; it gets only the shared lines).</summary>
    public string VirtwiredConfig(string sharedLines) => sharedLines + $"\nsasl_db = \"{VirtwireDatabase}\"\n";

    public static async Task<TestSasl> CreateAsync(IReadOnlyDictionary<string, string> users, CancellationToken cancellationToken = default)
    {
        var sasl = new TestSasl(System.IO.Directory.CreateTempSubdirectory("vw-sasl-").FullName);
        System.IO.Directory.CreateDirectory(sasl.CyrusConfigPath);
        var sasldb = Path.Combine(sasl.Directory, "cyrus-passwd.db");
        await File.WriteAllTextAsync(Path.Combine(sasl.CyrusConfigPath, "libvirt.conf"),
            $"mech_list: scram-sha-256\nsasldb_path: {sasldb}\n", cancellationToken).ConfigureAwait(false);
        var store = new ScramCredentialStore(sasl.VirtwireDatabase);
        foreach (var (user, password) in users)
        {
            var result = await ProcessRunner.RunAsync(SaslPasswd2, ["-a", "libvirt", "-f", sasldb, "-p", user], stdin: password,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException("saslpasswd2 failed: " + result);
            }

            store.SetPassword(user, password);
        }

        return sasl;
    }

    /// <summary>Writes a libvirt auth.conf giving <paramref name="user"/>/<paramref name="password"/> for every host.</summary>
    public string AuthFile(string user, string password)
    {
        var path = Path.Combine(Directory, $"auth-{user}-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, $"[credentials-test]\nauthname={user}\npassword={password}\n\n[auth-libvirt-default]\ncredentials=test\n");
        return path;
    }
}
