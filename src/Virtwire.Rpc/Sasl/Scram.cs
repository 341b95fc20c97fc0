using System.Security.Cryptography;
using System.Text;

namespace Virtwire.Rpc.Sasl;

/// <summary>A SCRAM exchange failed: bad message, unknown user, wrong password or a server that cannot prove itself.</summary>
public sealed class ScramException(string message) : Exception(message);

/// <summary>One SCRAM mechanism (RFC 5802, RFC 7677): its SASL name and hash.</summary>
public sealed class ScramMechanism
{
    public static readonly ScramMechanism Sha256 = new("SCRAM-SHA-256", HashAlgorithmName.SHA256, 32);

    public static readonly ScramMechanism Sha1 = new("SCRAM-SHA-1", HashAlgorithmName.SHA1, 20);

    private ScramMechanism(string name, HashAlgorithmName hash, int size)
    {
        Name = name;
        Hash = hash;
        Size = size;
    }

    /// <summary>The SASL mechanism name, e.g. <c>SCRAM-SHA-256</c>.</summary>
    public string Name { get; }

    public HashAlgorithmName Hash { get; }

    /// <summary>Digest size in bytes.</summary>
    public int Size { get; }

    /// <summary>Every mechanism, strongest first (the order a server lists them).</summary>
    public static IReadOnlyList<ScramMechanism> All { get; } = [Sha256, Sha1];

    public static ScramMechanism? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

#pragma warning disable CA5350 // SCRAM-SHA-1 is SHA-1 by definition (RFC 5802); it is offered after SCRAM-SHA-256 for older clients.
    internal byte[] Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        Hash == HashAlgorithmName.SHA256 ? HMACSHA256.HashData(key, data) : HMACSHA1.HashData(key, data);

    internal byte[] Digest(ReadOnlySpan<byte> data) => Hash == HashAlgorithmName.SHA256 ? SHA256.HashData(data) : SHA1.HashData(data);
#pragma warning restore CA5350

    internal byte[] SaltedPassword(string password, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, Hash, Size);
}

/// <summary>
/// What a server keeps per user and mechanism (RFC 5802 §3): salt, iteration count, StoredKey and ServerKey. The
/// password itself is never stored, and these values do not let anyone log in without it.
/// </summary>
public sealed record ScramCredential(ScramMechanism Mechanism, int Iterations, byte[] Salt, byte[] StoredKey, byte[] ServerKey)
{
    /// <summary>Derives the stored values for <paramref name="password"/> with a fresh random salt.</summary>
    public static ScramCredential Create(ScramMechanism mechanism, string password, int iterations = 10_000) =>
        Create(mechanism, password, RandomNumberGenerator.GetBytes(16), iterations);

    public static ScramCredential Create(ScramMechanism mechanism, string password, byte[] salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentNullException.ThrowIfNull(password);
        var salted = mechanism.SaltedPassword(password, salt, iterations);
        var clientKey = mechanism.Hmac(salted, "Client Key"u8);
        var serverKey = mechanism.Hmac(salted, "Server Key"u8);
        return new ScramCredential(mechanism, iterations, salt, mechanism.Digest(clientKey), serverKey);
    }
}

/// <summary>SCRAM's attribute syntax: <c>a=value</c> pairs separated by commas; user names escape ',' and '='.</summary>
internal static class ScramSyntax
{
    public static string EscapeName(string name) => name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    public static string UnescapeName(string name)
    {
        var text = name.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        return text.Contains('=', StringComparison.Ordinal) ? throw new ScramException("invalid encoding of a user name") : text;
    }

    /// <summary>The value of attribute <paramref name="key"/> in <paramref name="part"/> ("k=v"), or an error.</summary>
    public static string Attribute(string part, char key) =>
        part.Length >= 2 && part[0] == key && part[1] == '=' ? part[2..] : throw new ScramException($"expected attribute '{key}' in SCRAM message");

    public static string NewNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static byte[] Xor(byte[] a, byte[] b)
    {
        var result = new byte[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = (byte)(a[i] ^ b[i]);
        }

        return result;
    }

    public static byte[] FromBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new ScramException("invalid base64 in SCRAM message");
        }
    }
}

/// <summary>
/// The server side of one SCRAM authentication: <see cref="Start"/> takes the client-first message and answers the
/// server-first; <see cref="Finish"/> checks the client's proof and answers the server-final message.
/// </summary>
public sealed class ScramServer(ScramMechanism mechanism, Func<string, ScramCredential?> lookup)
{
    /// <summary>Where the server's half of the nonce comes from (tests fix it to replay RFC vectors).</summary>
    internal Func<string> NonceSource { get; init; } = ScramSyntax.NewNonce;

    private ScramCredential? _credential;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _gs2Header;
    private string? _nonce;

    public ScramMechanism Mechanism { get; } = mechanism;

    /// <summary>The user named by the client; authenticated only once <see cref="IsComplete"/>.</summary>
    public string? Username { get; private set; }

    public bool IsComplete { get; private set; }

    public string Start(string clientFirst)
    {
        ArgumentNullException.ThrowIfNull(clientFirst);
        // gs2-header: channel binding flag, optional authzid, then the bare message.
        var comma = clientFirst.IndexOf(',', StringComparison.Ordinal);
        var second = comma < 0 ? -1 : clientFirst.IndexOf(',', comma + 1);
        if (second < 0 || clientFirst[0] is not ('n' or 'y') || comma != 1)
        {
            throw new ScramException(clientFirst.StartsWith("p=", StringComparison.Ordinal)
                ? "channel binding is not supported"
                : "malformed SCRAM client-first message");
        }

        _gs2Header = clientFirst[..(second + 1)];
        var authzid = clientFirst[(comma + 1)..second];
        _clientFirstBare = clientFirst[(second + 1)..];
        var parts = _clientFirstBare.Split(',');
        if (parts.Length < 2)
        {
            throw new ScramException("malformed SCRAM client-first message");
        }

        var user = ScramSyntax.UnescapeName(ScramSyntax.Attribute(parts[0], 'n'));
        var clientNonce = ScramSyntax.Attribute(parts[1], 'r');
        if (user.Length == 0 || clientNonce.Length == 0)
        {
            throw new ScramException("empty user name or nonce");
        }

        if (authzid.Length > 0 && ScramSyntax.UnescapeName(ScramSyntax.Attribute(authzid, 'a')) != user)
        {
            throw new ScramException("authorization identity differs from the authentication identity");
        }

        // An unknown user gets a made-up salt, so that the reply does not reveal which users exist.
        _credential = lookup(user);
        var salt = _credential?.Salt ?? Mechanism.Digest(Encoding.UTF8.GetBytes("virtwire-unknown:" + user))[..16];
        var iterations = _credential?.Iterations ?? 10_000;
        Username = user;
        _nonce = clientNonce + NonceSource();
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(salt)},i={iterations}";
        return _serverFirst;
    }

    public string Finish(string clientFinal)
    {
        ArgumentNullException.ThrowIfNull(clientFinal);
        if (_serverFirst is null)
        {
            throw new ScramException("SCRAM exchange not started");
        }

        var proofAt = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0)
        {
            throw new ScramException("malformed SCRAM client-final message");
        }

        var withoutProof = clientFinal[..proofAt];
        var parts = withoutProof.Split(',');
        if (parts.Length < 2 || ScramSyntax.Attribute(parts[1], 'r') != _nonce)
        {
            throw new ScramException("SCRAM nonce mismatch");
        }

        if (ScramSyntax.FromBase64(ScramSyntax.Attribute(parts[0], 'c')) is var binding &&
            Encoding.UTF8.GetString(binding) != _gs2Header)
        {
            throw new ScramException("SCRAM channel binding mismatch");
        }

        var proof = ScramSyntax.FromBase64(clientFinal[(proofAt + 3)..]);
        var credential = _credential;
        if (credential is null || proof.Length != Mechanism.Size)
        {
            throw new ScramException(credential is null ? "unknown user" : "authentication failed");
        }

        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        var signature = Mechanism.Hmac(credential.StoredKey, authMessage);
        var clientKey = ScramSyntax.Xor(proof, signature);
        if (!CryptographicOperations.FixedTimeEquals(Mechanism.Digest(clientKey), credential.StoredKey))
        {
            throw new ScramException("wrong password");
        }

        IsComplete = true;
        return "v=" + Convert.ToBase64String(Mechanism.Hmac(credential.ServerKey, authMessage));
    }
}

/// <summary>The client side of one SCRAM authentication (no channel binding, no authorization identity).</summary>
public sealed class ScramClient
{
    private readonly string _password;
    private readonly string _clientNonce;
    private string? _clientFirstBare;
    private byte[]? _expectedServerSignature;

    public ScramClient(ScramMechanism mechanism, string username, string password, string? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        Mechanism = mechanism;
        Username = username;
        _password = password;
        _clientNonce = nonce ?? ScramSyntax.NewNonce();
    }

    public ScramMechanism Mechanism { get; }

    public string Username { get; }

    public bool IsComplete { get; private set; }

    public string ClientFirst()
    {
        _clientFirstBare = $"n={ScramSyntax.EscapeName(Username)},r={_clientNonce}";
        return "n,," + _clientFirstBare;
    }

    public string Step(string serverFirst)
    {
        ArgumentNullException.ThrowIfNull(serverFirst);
        if (_clientFirstBare is null)
        {
            throw new ScramException("SCRAM exchange not started");
        }

        var parts = serverFirst.Split(',');
        if (parts.Length < 3)
        {
            throw new ScramException("malformed SCRAM server-first message");
        }

        var nonce = ScramSyntax.Attribute(parts[0], 'r');
        var salt = ScramSyntax.FromBase64(ScramSyntax.Attribute(parts[1], 's'));
        if (!nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length)
        {
            throw new ScramException("SCRAM server nonce does not extend the client's");
        }

        if (!int.TryParse(ScramSyntax.Attribute(parts[2], 'i'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iterations) ||
            iterations < 1 || iterations > 10_000_000)
        {
            throw new ScramException("invalid SCRAM iteration count");
        }

        var withoutProof = $"c=biws,r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{withoutProof}");
        var salted = Mechanism.SaltedPassword(_password, salt, iterations);
        var clientKey = Mechanism.Hmac(salted, "Client Key"u8);
        var signature = Mechanism.Hmac(Mechanism.Digest(clientKey), authMessage);
        _expectedServerSignature = Mechanism.Hmac(Mechanism.Hmac(salted, "Server Key"u8), authMessage);
        return $"{withoutProof},p={Convert.ToBase64String(ScramSyntax.Xor(clientKey, signature))}";
    }

    /// <summary>Checks the server's signature: a server that does not know the user's keys cannot produce it.</summary>
    public void Finish(string serverFinal)
    {
        ArgumentNullException.ThrowIfNull(serverFinal);
        if (serverFinal.StartsWith("e=", StringComparison.Ordinal))
        {
            throw new ScramException("server refused: " + serverFinal[2..]);
        }

        var signature = ScramSyntax.FromBase64(ScramSyntax.Attribute(serverFinal.Split(',')[0], 'v'));
        if (_expectedServerSignature is null || !CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new ScramException("the server's SCRAM signature is wrong");
        }

        IsComplete = true;
    }
}
