using Virtwire.Rpc.Sasl;

namespace Virtwire.Rpc.Tests;

/// <summary>SCRAM against the RFC test vectors, both ends against each other, and the user database.</summary>
public sealed class ScramTests
{
    // RFC 7677 §3 (SCRAM-SHA-256) and RFC 5802 §5 (SCRAM-SHA-1): user "user", password "pencil".
    public static TheoryData<string, string, string, string, string, string, string> Vectors => new()
    {
        {
            "SCRAM-SHA-256", "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        },
        {
            "SCRAM-SHA-1", "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
            "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Client_ProducesTheRfcMessages(string mechanism, string clientNonce, string serverNonce, string salt, string serverFirst, string clientFinal,
        string serverFinal)
    {
        _ = serverNonce;
        _ = salt;
        var client = new ScramClient(ScramMechanism.Find(mechanism)!, "user", "pencil", clientNonce);
        Assert.Equal($"n,,n=user,r={clientNonce}", client.ClientFirst());
        Assert.Equal(clientFinal, client.Step(serverFirst));
        client.Finish(serverFinal);
        Assert.True(client.IsComplete);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Server_AcceptsTheRfcExchange_FromStoredKeysOnly(string mechanism, string clientNonce, string serverNonce, string salt, string serverFirst,
        string clientFinal, string serverFinal)
    {
        var m = ScramMechanism.Find(mechanism)!;
        var stored = ScramCredential.Create(m, "pencil", Convert.FromBase64String(salt), 4096);
        var server = new ScramServer(m, user => user == "user" ? stored : null) { NonceSource = () => serverNonce };
        Assert.Equal(serverFirst, server.Start($"n,,n=user,r={clientNonce}"));
        Assert.Equal(serverFinal, server.Finish(clientFinal));
        Assert.True(server.IsComplete);
        Assert.Equal("user", server.Username);
    }

    [Fact]
    public void WrongPassword_IsRefused_AndTheClientRejectsAnImpostorServer()
    {
        var m = ScramMechanism.Sha256;
        var stored = ScramCredential.Create(m, "right", 4096);
        var server = new ScramServer(m, _ => stored);
        var client = new ScramClient(m, "alice", "wrong");
        var clientFinal = client.Step(server.Start(client.ClientFirst()));
        Assert.Throws<ScramException>(() => server.Finish(clientFinal));
        Assert.False(server.IsComplete);

        // A server that does not hold alice's keys cannot produce a signature her client accepts.
        var honest = new ScramClient(m, "alice", "right");
        var impostor = new ScramServer(m, _ => ScramCredential.Create(m, "guess", stored.Salt, stored.Iterations));
        var final = honest.Step(impostor.Start(honest.ClientFirst()));
        Assert.Throws<ScramException>(() => impostor.Finish(final));
    }

    [Fact]
    public void UnknownUser_GetsAPlausibleChallenge_ThenFails()
    {
        var server = new ScramServer(ScramMechanism.Sha256, _ => null);
        var client = new ScramClient(ScramMechanism.Sha256, "nobody", "x");
        var first = server.Start(client.ClientFirst());
        Assert.Matches("^r=[^,]+,s=[^,]+,i=10000$", first);
        var ex = Assert.Throws<ScramException>(() => server.Finish(client.Step(first)));
        Assert.Equal("unknown user", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("n,,")]
    [InlineData("p=tls-unique,,n=user,r=abc")]
    [InlineData("n,,n=,r=abc")]
    [InlineData("n,,r=abc,n=user")]
    [InlineData("n,a=other,n=user,r=abc")]
    [InlineData("x")]
    public void MalformedClientFirst_IsAScramError(string message) =>
        Assert.Throws<ScramException>(() => new ScramServer(ScramMechanism.Sha256, _ => null).Start(message));

    [Fact]
    public void ReplayedOrTamperedNonce_IsRefused()
    {
        var m = ScramMechanism.Sha256;
        var stored = ScramCredential.Create(m, "pw", 4096);
        var server = new ScramServer(m, _ => stored);
        var client = new ScramClient(m, "u", "pw");
        var final = client.Step(server.Start(client.ClientFirst()));
        Assert.Throws<ScramException>(() => server.Finish(final.Replace("r=", "r=X", StringComparison.Ordinal)));
    }

    [Fact]
    public void Store_KeepsNoPassword_IsOwnerOnly_AndSurvivesReload()
    {
        var directory = Directory.CreateTempSubdirectory("vw-sasl-").FullName;
        try
        {
            var path = Path.Combine(directory, "passwd.db");
            var store = new ScramCredentialStore(path);
            store.SetPassword("alice", "correct horse");
            store.SetPassword("bob", "battery staple");
            Assert.DoesNotContain("correct horse", File.ReadAllText(path), StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var reloaded = new ScramCredentialStore(path);
            Assert.Equal(["alice", "bob"], reloaded.Users());
            var credential = reloaded.Find("alice", ScramMechanism.Sha256)!;
            var client = new ScramClient(ScramMechanism.Sha256, "alice", "correct horse");
            var server = new ScramServer(ScramMechanism.Sha256, user => reloaded.Find(user, ScramMechanism.Sha256));
            client.Finish(server.Finish(client.Step(server.Start(client.ClientFirst()))));
            Assert.Equal(10_000, credential.Iterations);

            // A change by another process (virtwire saslpasswd) is seen without a restart.
            Assert.True(store.Delete("bob"));
            Assert.Null(reloaded.Find("bob", ScramMechanism.Sha1));
            Assert.False(store.Delete("bob"));
            Assert.Throws<ArgumentException>(() => store.SetPassword("a:b", "x"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
