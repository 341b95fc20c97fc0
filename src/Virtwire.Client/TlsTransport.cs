using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Virtwire.Rpc;

namespace Virtwire.Client;

/// <summary>
/// libvirt's TLS transport, client side: the files from <c>?pkipath=</c> or libvirt's default locations,
/// the server certificate checked against the CA and the host name (unless <c>?no_verify=1</c>), and the
/// one confirmation byte the server sends once it has accepted our certificate (protocol-facts §7).
/// </summary>
internal static class TlsTransport
{
    /// <summary>The files the handshake needs, read before connecting (as libvirt does: a missing CA fails at once).</summary>
    public sealed record Credentials(X509Certificate2Collection Authorities, X509Certificate2? ClientCertificate, RevocationList? Crl);

    public static Credentials LoadCredentials(VirtUri uri)
    {
        var (caFile, certFile, keyFile) = Files(uri);
        string caText;
        try
        {
            caText = File.ReadAllText(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileError($"Cannot read CA certificate '{caFile}': {SystemText(ex)}", ex);
        }

        X509Certificate2Collection authorities = [];
        try
        {
            authorities.ImportFromPem(caText);
        }
        catch (CryptographicException ex)
        {
            throw FileError($"Unable to import CA certificate list {caFile}", ex);
        }

        if (authorities.Count == 0)
        {
            throw FileError($"Unable to import CA certificate list {caFile}", null);
        }

        try
        {
            // A client certificate is optional: a server with tls_no_verify_certificate accepts clients without one.
            var clientCertificate = File.Exists(certFile) || File.Exists(keyFile) ? X509Certificate2.CreateFromPemFile(certFile, keyFile) : null;
            var crlFile = Path.Combine(Path.GetDirectoryName(caFile)!, "cacrl.pem");
            var crl = File.Exists(crlFile) ? RevocationList.Load(crlFile) : null;
            return new Credentials(authorities, clientCertificate, crl);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw FileError($"Cannot read TLS files (CA {caFile}, certificate {certFile}, key {keyFile}): {ex.Message}", ex);
        }
    }

    private static VirtException FileError(string message, Exception? inner) =>
        new(RemoteError.Create(VirtErrorCode.SystemError, VirtErrorDomain.Rpc, message), inner);

    /// <summary>strerror(3)'s words for the usual reasons a file cannot be read.</summary>
    private static string SystemText(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => ex.Message,
    };

    public static async ValueTask<Stream> ConnectAsync(Stream network, VirtUri uri, Credentials credentials, CancellationToken cancellationToken)
    {
        var noVerify = uri["no_verify"] is "1";
        var (authorities, clientCertificate, crl) = credentials;
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        string? problem = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = uri.EffectiveHost,
            ClientCertificates = clientCertificate is null ? [] : [clientCertificate],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                problem = Verify(certificate, errors, authorities, crl);
                return problem is null || noVerify;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            var confirmation = new byte[1];
            var read = await ssl.ReadAsync(confirmation, cancellationToken).ConfigureAwait(false);
            if (read != 1 || confirmation[0] != 1)
            {
                throw new VirtException(RemoteError.Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc,
                    "server verification (of our certificate or IP address) failed"));
            }

            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new VirtException(RemoteError.Create(VirtErrorCode.AuthFailed, VirtErrorDomain.Rpc,
                "authentication failed: TLS handshake failed: " + (problem ?? ex.Message)), ex);
        }
        catch (VirtException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string? Verify(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection authorities, RevocationList? crl)
    {
        if (certificate is null)
        {
            return "the server sent no certificate";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return "Certificate owner does not match the hostname";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (!chain.Build(server))
        {
            return "The server certificate is not trusted: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
        }

        return crl is not null && crl.IsRevoked(server) ? "The server certificate has been revoked" : null;
    }

    /// <summary>libvirt's file layout: <c>?pkipath=DIR</c>, else ~/.pki/libvirt for users, /etc/pki for root.</summary>
    private static (string Ca, string Cert, string Key) Files(VirtUri uri)
    {
        if (uri["pkipath"] is { Length: > 0 } dir)
        {
            return (Path.Combine(dir, "cacert.pem"), Path.Combine(dir, "clientcert.pem"), Path.Combine(dir, "clientkey.pem"));
        }

        if (Environment.UserName != "root")
        {
            var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pki", "libvirt");
            if (File.Exists(Path.Combine(home, "clientcert.pem")))
            {
                return (Path.Combine(home, "cacert.pem"), Path.Combine(home, "clientcert.pem"), Path.Combine(home, "clientkey.pem"));
            }
        }

        return ("/etc/pki/CA/cacert.pem", "/etc/pki/libvirt/clientcert.pem", "/etc/pki/libvirt/private/clientkey.pem");
    }
}
