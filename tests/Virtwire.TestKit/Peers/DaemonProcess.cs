using System.Diagnostics;
using System.Net.Sockets;

namespace Virtwire.TestKit.Peers;

/// <summary>
/// A libvirt daemon (real libvirtd or our virtwired) started from the same libvirtd.conf on a free
/// loopback port and a private socket directory; stopped and cleaned up on dispose.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly Lock _logGate = new();
    private TaskCompletionSource _logGrew = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(Process process, string directory, int port, string name)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; }

    public string SocketPath => Path.Combine(_directory, "run", "libvirt-sock");

    public string ReadOnlySocketPath => Path.Combine(_directory, "run", "libvirt-sock-ro");

    public string UnixUri => $"test+unix:///default?socket={SocketPath}";

    public string TcpUri => $"test+tcp://127.0.0.1:{Port}/default";

    /// <summary>The QEMU driver of this daemon over its unix socket.</summary>
    public string QemuUri => $"qemu+unix:///system?socket={SocketPath}";

    /// <summary>The daemon's private directory: its config, sockets (run/) and, for virtwired, the QEMU driver's files.</summary>
    public string DirectoryPath => _directory;

    public string LogPath => Path.Combine(_directory, "daemon.log");

    public bool HasExited => _process.HasExited;

    /// <summary>The daemon's process id (libvirtd is exec'd in place of its unshare wrapper).</summary>
    public int Pid => _process.Id;

    /// <summary>User plus system CPU time the daemon has used so far, from /proc/PID/stat.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
    }

    /// <summary>Starts Debian's libvirtd inside a private mount namespace (its own /run/libvirt), as root.</summary>
    public static Task<DaemonProcess> StartLibvirtdAsync(CancellationToken cancellationToken = default) => StartLibvirtdAsync(null, cancellationToken);

    /// <summary>Starts libvirtd with extra libvirtd.conf lines (e.g. TLS).</summary>
    public static Task<DaemonProcess> StartLibvirtdAsync(string? extraConfig, CancellationToken cancellationToken = default) =>
        StartLibvirtdAsync(extraConfig, qemu: false, cancellationToken);

    /// <summary>
    /// Starts libvirtd; with <paramref name="qemu"/> its QEMU driver works too, on private copies of /etc/libvirt,
    /// /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt bound over the real ones inside its mount namespace
    /// (QEMU runs as root with plain log files, as ../shared/interop describes), so nothing of the host's is touched.
    /// </summary>
    public static Task<DaemonProcess> StartLibvirtdAsync(string? extraConfig, bool qemu, CancellationToken cancellationToken = default) =>
        StartLibvirtdAsync(extraConfig, qemu, saslConfigPath: null, cancellationToken);

    /// <summary>Starts libvirtd; <paramref name="saslConfigPath"/> is where Cyrus SASL finds its libvirt.conf (SASL_CONF_PATH).</summary>
    public static Task<DaemonProcess> StartLibvirtdAsync(string? extraConfig, bool qemu, string? saslConfigPath, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("vw-libvirtd-").FullName;
        var port = LibvirtdConfig.FreePort();
        var config = LibvirtdConfig.Write(directory, port, extraConfig);
        Directory.CreateDirectory("/run/libvirt");
        var script = "mount -t tmpfs tmpfs /run/libvirt";
        if (qemu)
        {
            var etc = Path.Combine(directory, "etc-libvirt");
            Directory.CreateDirectory(etc);
            foreach (var file in Directory.GetFiles("/etc/libvirt"))
            {
                File.Copy(file, Path.Combine(etc, Path.GetFileName(file)));
            }

            File.WriteAllText(Path.Combine(etc, "qemu.conf"), "user = \"root\"\ngroup = \"root\"\nstdio_handler = \"file\"\n");
            script += $" && mount --bind '{etc}' /etc/libvirt";
            foreach (var part in new[] { "lib", "cache", "log" })
            {
                var mine = Path.Combine(directory, "var-" + part);
                Directory.CreateDirectory(mine);
                Directory.CreateDirectory($"/var/{part}/libvirt");
                script += $" && mount --bind '{mine}' /var/{part}/libvirt";
            }
        }

        var info = new ProcessStartInfo("unshare")
        {
            ArgumentList =
            {
                "-m", "sh", "-c", script + " && exec \"$0\" -l -f \"$1\" -p \"$2\"",
                RealLibvirt.Libvirtd, config, Path.Combine(directory, "libvirtd.pid"),
            },
        };
        if (saslConfigPath is not null)
        {
            info.Environment["SASL_CONF_PATH"] = saslConfigPath;
        }

        return StartAsync(info, directory, port, "libvirtd", cancellationToken);
    }

    /// <summary>Starts our virtwired, built next to the tests, exactly as a user would with the same config.</summary>
    public static Task<DaemonProcess> StartVirtwiredAsync(CancellationToken cancellationToken = default) =>
        StartVirtwiredAsync(Directory.CreateTempSubdirectory("vw-virtwired-").FullName, LibvirtdConfig.FreePort(), cancellationToken);

    /// <summary>Starts virtwired with extra libvirtd.conf lines (e.g. TLS).</summary>
    public static Task<DaemonProcess> StartVirtwiredAsync(string extraConfig, CancellationToken cancellationToken = default) =>
        StartVirtwiredAsync(Directory.CreateTempSubdirectory("vw-virtwired-").FullName, LibvirtdConfig.FreePort(), cancellationToken, extraConfig);

    /// <summary>Kills this virtwired (as a crash would) and starts a new one on the same sockets and port.</summary>
    public async Task<DaemonProcess> RestartVirtwiredAsync(CancellationToken cancellationToken = default)
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return await StartVirtwiredAsync(_directory, Port, cancellationToken).ConfigureAwait(false);
    }

    private static Task<DaemonProcess> StartVirtwiredAsync(string directory, int port, CancellationToken cancellationToken, string? extraConfig = null)
    {
        // The QEMU driver keeps its definitions, status and logs in the daemon's private directory, never system paths.
        var config = LibvirtdConfig.Write(directory, port, $"qemu_root = \"{directory}\"\n{extraConfig}");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { VirtwiredPath(), "-l", "-f", config, "-p", Path.Combine(directory, "virtwired.pid") },
            WorkingDirectory = directory,
        };
        return StartAsync(info, directory, port, "virtwired", cancellationToken);
    }

    /// <summary>The daemon built in the same configuration as the running tests.</summary>
    public static string VirtwiredPath() => RepositoryRoot.BuildOutput("src/Virtwire.Daemon", "virtwired.dll");

    private static async Task<DaemonProcess> StartAsync(ProcessStartInfo info, string directory, int port, string name, CancellationToken cancellationToken)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + name);
        var daemon = new DaemonProcess(process, directory, port, name);
        var log = File.CreateText(daemon.LogPath);
        log.AutoFlush = true;
        process.OutputDataReceived += (_, e) => daemon.Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await daemon.WaitUntilServingAsync(cancellationToken).ConfigureAwait(false);
        return daemon;
    }

    private void Append(StreamWriter log, string? line)
    {
        TaskCompletionSource grew;
        lock (_logGate)
        {
            if (line is not null)
            {
                log.WriteLine(line);
            }

            // Wake every waiter; the end of either stream (null) wakes them too, so they see the exit.
            grew = _logGrew;
            _logGrew = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        grew.TrySetResult();
    }

    /// <summary>
    /// Waits until the daemon has logged <paramref name="text"/> and returns the log. The daemon's logger writes from
    /// its own thread, so a line about something a client just saw may arrive a moment after the client saw it.
    /// Fails with the log if the daemon exits or 30 s pass first.
    /// </summary>
    public async Task<string> WaitForLogAsync(string text, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            Task grew;
            lock (_logGate)
            {
                grew = _logGrew.Task;
            }

            var log = ReadLog();
            if (log.Contains(text, StringComparison.Ordinal))
            {
                return log;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited without logging \"{text}\":\n{log}");
            }

            try
            {
                await grew.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not log \"{text}\" within 30 s:\n{ReadLog()}");
            }
        }
    }

    /// <summary>Polls until both the unix socket and the TCP port accept connections, or fails with the daemon's log.</summary>
    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{ReadLog()}");
            }

            if (await CanConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false) &&
                await CanConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Port), cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{Name} did not start serving within 60 s:\n{ReadLog()}");
    }

    private static async Task<bool> CanConnectAsync(System.Net.EndPoint endPoint, CancellationToken cancellationToken)
    {
        var protocol = endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp;
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, protocol);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A raw socket to the read-write unix socket, waiting while the listen backlog is full (EAGAIN).</summary>
    public async Task<Socket> ConnectRawAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TryAgain or SocketError.WouldBlock && attempt < 2000)
            {
                socket.Dispose();
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
