using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Virtwire.Daemon;

/// <summary>
/// libvirt's TLS listener side: the server certificate, mandatory client certificates checked against
/// the CA (unless tls_no_verify_certificate), tls_allowed_dn_list globs over the client's DN, and the
/// one confirmation byte (0x01) sent inside the session once the client is accepted (protocol-facts §7).
/// </summary>
internal sealed class TlsServer
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _authorities;
    private readonly bool _noVerify;
    private readonly IReadOnlyList<Regex> _allowedDns;
    private readonly Virtwire.Rpc.RevocationList? _crl;

    public TlsServer(DaemonSettings settings)
    {
        try
        {
            _certificate = X509Certificate2.CreateFromPemFile(settings.CertFile, settings.KeyFile);
            _authorities = [];
            _authorities.ImportFromPemFile(settings.CaFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ConfigException($"cannot load TLS files (cert_file {settings.CertFile}, key_file {settings.KeyFile}, ca_file {settings.CaFile}): {ex.Message}");
        }

        if (settings.CrlFile is { } crlFile)
        {
            try
            {
                _crl = Virtwire.Rpc.RevocationList.Load(crlFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or FormatException)
            {
                throw new ConfigException($"cannot load crl_file {crlFile}: {ex.Message}");
            }
        }

        _noVerify = settings.TlsNoVerifyCertificate;
        _allowedDns = settings.TlsAllowedDnList.Select(Glob).ToArray();
    }

    /// <summary>fnmatch-style glob (*, ?, [..]) as libvirt matches DNs and user names.</summary>
    internal static Regex Glob(string pattern) => Virtwire.Server.AccessGlob.Compile(pattern);

    /// <summary>The DN as GnuTLS prints it: attributes in certificate order, "C=GB,O=Example,CN=client".</summary>
    internal static string DistinguishedName(X509Certificate2 certificate) =>
        string.Join(",", certificate.SubjectName.EnumerateRelativeDistinguishedNames(reversed: false).Select(rdn =>
        {
            var oid = rdn.GetSingleElementType().Value;
            var name = oid switch
            {
                "2.5.4.6" => "C",
                "2.5.4.8" => "ST",
                "2.5.4.7" => "L",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.3" => "CN",
                "1.2.840.113549.1.9.1" => "EMAIL",
                _ => oid,
            };
            return name + "=" + rdn.GetSingleElementValue();
        }));

    /// <summary>The client certificate must be present and chain to our CA, unless tls_no_verify_certificate.</summary>
    private string? Verify(X509Certificate2? client)
    {
        if (_noVerify)
        {
            return null;
        }

        if (client is null)
        {
            return "no client certificate";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(client))
        {
            return "client certificate does not verify against the CA: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
        }

        return _crl is not null && _crl.IsRevoked(client) ? $"client certificate {client.SerialNumber} is revoked ({_crl.Path})" : null;
    }

    /// <summary>Runs the handshake and checks; returns the stream to serve, or null when the client is refused (then it is closed).</summary>
    public async Task<(Stream? Stream, string? Identity, string? Refusal)> AcceptAsync(Stream network, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        string? refusal = null;
        X509Certificate2? client = null;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificate = _certificate,
            ClientCertificateRequired = true,
            // TLS 1.2: under TLS 1.3 the server's post-handshake session tickets reach libvirt's client
            // where it expects the confirmation byte, and it fails with "Unable to read TLS confirmation"
            // (seen with Debian 12's virsh). TLS 1.2 completes the handshake before the byte is sent.
            EnabledSslProtocols = SslProtocols.Tls12,
            AllowTlsResume = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                client = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                refusal = Verify(client);
                return refusal is null;
            },
        };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await ssl.AuthenticateAsServerAsync(options, timeout.Token);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync();
            return (null, null, refusal ?? "TLS handshake failed: " + ex.Message);
        }

        var dn = client is null ? null : DistinguishedName(client);
        if (refusal is null && dn is not null && _allowedDns.Count > 0 && !_allowedDns.Any(p => p.IsMatch(dn)))
        {
            refusal = $"Client's Distinguished Name is not on the list of allowed clients (tls_allowed_dn_list): {dn}";
        }

        if (refusal is not null)
        {
            await ssl.DisposeAsync();
            return (null, dn, refusal);
        }

        // The confirmation byte: the client reads it before any RPC.
        await ssl.WriteAsync(new byte[] { 1 }, cancellationToken);
        await ssl.FlushAsync(cancellationToken);
        return (ssl, dn, null);
    }
}
