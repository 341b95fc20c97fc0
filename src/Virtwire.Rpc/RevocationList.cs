using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Virtwire.Rpc;

/// <summary>
/// An X.509 CRL file (PEM or DER) as libvirt uses one (<c>crl_file</c>, <c>pkipath/cacrl.pem</c>): a certificate whose
/// serial number it lists is refused. The file is read once; its signature is that of the CA the admin installed it for.
/// </summary>
public sealed class RevocationList
{
    private readonly byte[] _encoded;

    private RevocationList(byte[] encoded, string path)
    {
        _encoded = encoded;
        Path = path;
    }

    public string Path { get; }

    /// <exception cref="CryptographicException">The file is not a CRL.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static RevocationList Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        byte[] der;
        if (text.Contains("-----BEGIN X509 CRL-----", StringComparison.Ordinal))
        {
            var begin = text.IndexOf("-----BEGIN X509 CRL-----", StringComparison.Ordinal) + "-----BEGIN X509 CRL-----".Length;
            var end = text.IndexOf("-----END X509 CRL-----", begin, StringComparison.Ordinal);
            der = end < 0 ? throw new CryptographicException($"{path}: unterminated PEM CRL") : Convert.FromBase64String(text[begin..end].Trim());
        }
        else
        {
            der = bytes;
        }

        // Parse once now so that a broken file is a startup error, not a refusal of every client later.
        CertificateRevocationListBuilder.Load(der, out _);
        return new RevocationList(der, path);
    }

    public bool IsRevoked(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        // The builder is the framework's CRL parser; removing an entry reports whether the serial was listed.
        var list = CertificateRevocationListBuilder.Load(_encoded, out _);
        return list.RemoveEntry(certificate.SerialNumberBytes.Span);
    }
}
