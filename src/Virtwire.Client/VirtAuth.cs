using System.Text;
using Virtwire.Protocol;
using Virtwire.Rpc.Sasl;

namespace Virtwire.Client;

/// <summary>
/// libvirt's auth.conf (<c>LIBVIRT_AUTH_FILE</c>): INI groups <c>[auth-libvirt-HOST]</c> (or <c>auth-libvirt-default</c>)
/// naming a <c>credentials=SET</c>, and <c>[credentials-SET]</c> holding <c>authname</c>/<c>username</c> and <c>password</c>.
/// </summary>
internal static class AuthConfig
{
    public static string? DefaultPath()
    {
        var explicitPath = Environment.GetEnvironmentVariable("LIBVIRT_AUTH_FILE");
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") ??
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        var user = Path.Combine(config, "libvirt", "auth.conf");
        return File.Exists(user) ? user : File.Exists("/etc/libvirt/auth.conf") ? "/etc/libvirt/auth.conf" : null;
    }

    /// <summary>The user name and password auth.conf gives for <paramref name="host"/>, either possibly null.</summary>
    public static (string? Username, string? Password) Lookup(string path, string host)
    {
        var groups = Parse(File.ReadAllLines(path));
        var set = (groups.GetValueOrDefault("auth-libvirt-" + host) ?? groups.GetValueOrDefault("auth-libvirt-default"))?.GetValueOrDefault("credentials");
        if (set is null || !groups.TryGetValue("credentials-" + set, out var credentials))
        {
            return (null, null);
        }

        return (credentials.GetValueOrDefault("authname") ?? credentials.GetValueOrDefault("username"), credentials.GetValueOrDefault("password"));
    }

    private static Dictionary<string, Dictionary<string, string>> Parse(IEnumerable<string> lines)
    {
        var groups = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                current = new Dictionary<string, string>(StringComparer.Ordinal);
                groups[line[1..^1].Trim()] = current;
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (current is not null && equals > 0)
            {
                current[line[..equals].Trim()] = line[(equals + 1)..].Trim();
            }
        }

        return groups;
    }
}

public sealed partial class VirtConnection
{
    /// <summary>
    /// libvirt's SASL exchange with SCRAM (SCRAM-SHA-256 preferred, or <c>?auth=sasl.MECH</c>). As libvirt's client,
    /// it refuses to run SCRAM (no security layer) over plain TCP, so a password never crosses the wire unprotected.
    /// </summary>
    private async ValueTask AuthenticateSaslAsync(CancellationToken cancellationToken)
    {
        if (Uri.Transport is VirtTransport.Tcp)
        {
            throw AuthError("SCRAM needs TLS or a unix socket: plain TCP would need a SASL security layer (SSF >= 56)");
        }

        var mechanisms = (await Remote.AuthSaslInitAsync(cancellationToken).ConfigureAwait(false)).Value.Split(',', StringSplitOptions.TrimEntries);
        var forced = Uri["auth"] is { } auth && auth.StartsWith("sasl.", StringComparison.OrdinalIgnoreCase) ? auth[5..] : null;
        var mechanism = (forced is not null
            ? mechanisms.Contains(forced, StringComparer.Ordinal) ? ScramMechanism.Find(forced) : null
            : ScramMechanism.All.FirstOrDefault(m => mechanisms.Contains(m.Name, StringComparer.OrdinalIgnoreCase)))
            ?? throw AuthError($"no supported SASL mechanism (server offers {string.Join(", ", mechanisms)}; this client speaks SCRAM-SHA-256 and SCRAM-SHA-1)");

        var credential = await CredentialAsync(mechanism, cancellationToken).ConfigureAwait(false);
        var scram = new ScramClient(mechanism, credential.Username, credential.Password);
        var reply = await Remote.AuthSaslStartAsync(new AuthSaslStartArgs { Mech = mechanism.Name, Nil = 0, Data = Encoding.UTF8.GetBytes(scram.ClientFirst()) },
            cancellationToken).ConfigureAwait(false);
        try
        {
            var clientFinal = scram.Step(Encoding.UTF8.GetString(reply.Data));
            reply = await Remote.AuthSaslStepAsync(new AuthSaslStepArgs { Nil = 0, Data = Encoding.UTF8.GetBytes(clientFinal) }, cancellationToken)
                .ConfigureAwait(false);
            scram.Finish(Encoding.UTF8.GetString(reply.Data));
        }
        catch (ScramException ex)
        {
            throw AuthError(ex.Message);
        }

        if (reply.Complete != 1)
        {
            throw AuthError("the server did not complete the SASL exchange");
        }
    }

    private async ValueTask<VirtCredential> CredentialAsync(ScramMechanism mechanism, CancellationToken cancellationToken)
    {
        var host = Uri.EffectiveHost;
        string? username = Uri.User, password = null;
        if (AuthConfig.DefaultPath() is { } path && File.Exists(path))
        {
            var (fileUser, filePassword) = AuthConfig.Lookup(path, host);
            username ??= fileUser;
            password = filePassword;
        }

        if ((username is null || password is null) && _options.Credentials is { } callback)
        {
            var given = await callback(new VirtAuthRequest(host, mechanism.Name, username), cancellationToken).ConfigureAwait(false);
            username = given?.Username ?? username;
            password = given?.Password;
        }

        return username is null || password is null
            ? throw AuthError($"no credentials for {host}: give them in the URI, auth.conf (LIBVIRT_AUTH_FILE) or VirtConnectionOptions.Credentials")
            : new VirtCredential(username, password);
    }

    private static VirtException AuthError(string detail) =>
        new(Virtwire.Rpc.RemoteError.Create(Virtwire.Rpc.VirtErrorCode.AuthFailed, Virtwire.Rpc.VirtErrorDomain.Remote, "authentication failed: " + detail,
            "authentication failed: %s", detail));
}
