using System.Diagnostics;
using System.Text;

namespace Virtwire.Client;

/// <summary>
/// libvirt's <c>+ssh</c> transport: the system <c>ssh</c> (so ~/.ssh/config, agents and jump hosts apply) runs a
/// command on the remote host that joins its stdio to the daemon's unix socket — <c>virt-ssh-helper URI</c> where
/// installed, else netcat, exactly as libvirt's remote driver chooses. URI parameters: <c>socket=</c> (remote socket;
/// netcat is then used directly), <c>keyfile=</c>, <c>no_verify=1</c> (no host key check), <c>netcat=</c> (the nc
/// binary), <c>command=</c> (the ssh binary), <c>proxy=native|netcat|auto</c>.
/// </summary>
internal static class SshTransport
{
    public static Stream Connect(VirtUri uri, bool readOnly)
    {
        var info = new ProcessStartInfo(uri["command"] ?? "ssh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (uri.Port is { } port)
        {
            info.ArgumentList.Add("-p");
            info.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(uri.User))
        {
            info.ArgumentList.Add("-l");
            info.ArgumentList.Add(uri.User);
        }

        if (uri["keyfile"] is { Length: > 0 } keyfile)
        {
            info.ArgumentList.Add("-i");
            info.ArgumentList.Add(keyfile);
        }

        if (uri["no_verify"] == "1")
        {
            info.ArgumentList.Add("-o");
            info.ArgumentList.Add("StrictHostKeyChecking=no");
            info.ArgumentList.Add("-o");
            info.ArgumentList.Add("UserKnownHostsFile=/dev/null");
            info.ArgumentList.Add("-o");
            info.ArgumentList.Add("LogLevel=ERROR");
        }

        // No escape character (binary data flows through), no pseudo-terminal, never prompt on a terminal we don't have.
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add("none");
        info.ArgumentList.Add("-T");
        info.ArgumentList.Add("-o");
        info.ArgumentList.Add("BatchMode=yes");
        info.ArgumentList.Add("--");
        info.ArgumentList.Add(uri.EffectiveHost);
        info.ArgumentList.Add(RemoteCommand(uri, readOnly));

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new VirtConnectionException($"cannot run {info.FileName}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new VirtConnectionException($"Cannot run ssh ({info.FileName}): {ex.Message}", ex);
        }

        return new ProcessStream(process);
    }

    /// <summary>The remote shell command: virt-ssh-helper when present (unless a socket or netcat is asked for), else nc -U.</summary>
    internal static string RemoteCommand(VirtUri uri, bool readOnly)
    {
        var netcat = Quote(uri["netcat"] ?? "nc");
        var socket = uri["socket"] ?? (readOnly ? "/run/libvirt/libvirt-sock-ro" : "/run/libvirt/libvirt-sock");
        // Older netcats need -q0 to exit when stdin closes; newer ones reject -q without an argument check.
        var viaNetcat = $"if {netcat} -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0; else ARG=; fi; {netcat} $ARG -U {Quote(socket)}";
        var proxy = uri["proxy"] ?? "auto";
        if (proxy == "netcat" || uri["socket"] is not null || uri["netcat"] is not null)
        {
            return $"sh -c {Quote(viaNetcat)}";
        }

        var helper = $"virt-ssh-helper{(readOnly ? " -r" : string.Empty)} {Quote(uri.OpenName)}";
        if (proxy == "native")
        {
            return helper;
        }

        return $"sh -c {Quote($"which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then {helper}; else {viaNetcat}; fi")}";
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// A child process's stdout (read) and stdin (write) as one duplex stream; what it prints on stderr is kept so a
    /// failed ssh explains itself. Disposing ends the process.
    /// </summary>
    internal sealed class ProcessStream : Stream
    {
        private readonly Process _process;
        private readonly Stream _input;
        private readonly Stream _output;
        private readonly StringBuilder _errors = new();
        private readonly Task _errorPump;

        public ProcessStream(Process process)
        {
            _process = process;
            _input = process.StandardOutput.BaseStream;
            _output = process.StandardInput.BaseStream;
            _errorPump = Task.Run(async () =>
            {
                var buffer = new char[1024];
                int read;
                while ((read = await process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_errors)
                    {
                        if (_errors.Length < 16 * 1024)
                        {
                            _errors.Append(buffer, 0, read);
                        }
                    }
                }
            });
        }

        /// <summary>What ssh (or the remote command) printed on stderr so far, once it has exited or closed stderr.</summary>
        public async Task<string> ErrorsAsync(TimeSpan wait)
        {
            await Task.WhenAny(_errorPump, Task.Delay(wait)).ConfigureAwait(false);
            lock (_errors)
            {
                return _errors.ToString().Trim();
            }
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _input.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            _output.Write(buffer, offset, count);
            _output.Flush();
        }

        public override void Flush() => _output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try
                {
                    _output.Dispose();
                    if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
                    {
                        _process.Kill(entireProcessTree: true);
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
                finally
                {
                    _input.Dispose();
                    _process.Dispose();
                }
            }

            base.Dispose(disposing);
        }
    }
}
