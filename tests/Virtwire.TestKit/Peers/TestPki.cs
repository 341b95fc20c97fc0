using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Virtwire.TestKit.Peers;

/// <summary>
/// A throw-away CA with a server certificate for 127.0.0.1/localhost and a client certificate, written
/// in libvirt's layout: <c>Directory</c> serves as a client <c>pkipath</c>; the server files are named for libvirtd.conf.
/// </summary>
public sealed class TestPki
{
    private TestPki(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "cacert.pem");

    public string ServerCertFile => Path.Combine(Directory, "servercert.pem");

    public string ServerKeyFile => Path.Combine(Directory, "serverkey.pem");

    /// <summary>libvirtd.conf lines that turn TLS on with these files.</summary>
    public string ServerConfig(int tlsPort, string? allowedDn = null) => $"""
        listen_tls = 1
        tls_port = "{tlsPort}"
        auth_tls = "none"
        key_file = "{ServerKeyFile}"
        cert_file = "{ServerCertFile}"
        ca_file = "{CaFile}"
        {(allowedDn is null ? string.Empty : $"tls_allowed_dn_list = [\"{allowedDn}\"]")}
        {(File.Exists(CrlFile) ? $"crl_file = \"{CrlFile}\"" : string.Empty)}
        """;

    /// <summary>The CRL (written only when the client certificate was revoked); also read by clients from their pkipath.</summary>
    public string CrlFile => Path.Combine(Directory, "cacrl.pem");

    /// <summary>Removes the client certificate and key: the directory then serves a client that has none.</summary>
    public void RemoveClientCertificate()
    {
        File.Delete(Path.Combine(Directory, "clientcert.pem"));
        File.Delete(Path.Combine(Directory, "clientkey.pem"));
    }

    public static TestPki Create(string clientCommonName = "virtwire-test-client", bool revokeClient = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("vw-pki-").FullName;
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(30);

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("C=GB,O=Virtwire,CN=Virtwire Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notAfter);
        File.WriteAllText(Path.Combine(directory, "cacert.pem"), ca.ExportCertificatePem());

        Issue(ca, directory, "C=GB,O=Virtwire,CN=127.0.0.1", "server", serverAuth: true, notBefore, notAfter, 2);
        Issue(ca, directory, $"C=GB,O=Virtwire,CN={clientCommonName}", "client", serverAuth: false, notBefore, notAfter, 3);
        if (revokeClient)
        {
            var crl = new CertificateRevocationListBuilder();
            crl.AddEntry([3], notBefore.AddHours(1), X509RevocationReason.KeyCompromise);
            var der = crl.Build(ca, 1, notAfter, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            File.WriteAllText(Path.Combine(directory, "cacrl.pem"), PemEncoding.WriteString("X509 CRL", der) + "\n");
        }

        return new TestPki(directory);
    }

    private static void Issue(X509Certificate2 ca, string directory, string subject, string role, bool serverAuth, DateTimeOffset notBefore,
        DateTimeOffset notAfter, byte serial)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var certificate = request.Create(ca, notBefore, notAfter, [serial]);
        File.WriteAllText(Path.Combine(directory, $"{role}cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, $"{role}key.pem"), key.ExportPkcs8PrivateKeyPem());
    }
}
