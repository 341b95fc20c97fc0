using System.Diagnostics;
using System.Net.Sockets;

namespace Virtwire.TestKit.Peers;

/// <summary>
/// Debian's sshd on a free loopback port with its own host key and one authorised client key (no PAM, no
/// passwords), for the +ssh transport. Stopped on dispose.
/// </summary>
public sealed class TestSshd : IAsyncDisposable
{
    public const string Sshd = "/usr/sbin/sshd";

    private readonly Process _process;

    private TestSshd(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The client's private key, for <c>keyfile=</c>.</summary>
    public string KeyFile => Path.Combine(Directory, "id");

    /// <summary>An ssh URI for <paramref name="driverUri"/> ("test:///default") reaching the daemon socket at <paramref name="socket"/>.</summary>
    public string Uri(string driver, string path, string socket) =>
        $"{driver}+ssh://{Environment.UserName}@127.0.0.1:{Port}{path}?socket={socket}&keyfile={KeyFile}&no_verify=1";

    public static async Task<TestSshd> StartAsync(CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("vw-sshd-").FullName;
        foreach (var key in new[] { "host", "id" })
        {
            var made = await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(directory, key)],
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (made.ExitCode != 0)
            {
                throw new InvalidOperationException("ssh-keygen failed: " + made);
            }
        }

        File.Copy(Path.Combine(directory, "id.pub"), Path.Combine(directory, "authorized_keys"));
        var port = LibvirtdConfig.FreePort();
        var config = Path.Combine(directory, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {directory}/host
            AuthorizedKeysFile {directory}/authorized_keys
            PidFile {directory}/sshd.pid
            StrictModes no
            PermitRootLogin prohibit-password
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            """, cancellationToken).ConfigureAwait(false);
        System.IO.Directory.CreateDirectory("/run/sshd");
        var process = Process.Start(new ProcessStartInfo(Sshd) { ArgumentList = { "-D", "-e", "-f", config }, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("cannot start sshd");
        var sshd = new TestSshd(process, directory, port);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"sshd exited: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
            }

            using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return sshd;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        await sshd.DisposeAsync().ConfigureAwait(false);
        throw new TimeoutException("sshd did not listen within 30 s");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }
}
