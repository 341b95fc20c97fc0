using System.Runtime.InteropServices;

namespace Virtwire.Drivers.Qemu;

/// <summary>
/// The host end of a guest's serial port: QEMU's pty slave opened in raw mode (no echo, no line editing, no
/// newline translation), as libvirt opens it for consoles. Reads poll so that a close or cancellation ends a
/// pending read promptly instead of leaving a thread blocked in read(2).
/// </summary>
internal sealed partial class PtyStream : Stream
{
    private const int OpenReadWrite = 0x2;
    private const int OpenNoControllingTty = 0x100;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;
    private const short PollIn = 0x1;
    private const short PollErr = 0x8;
    private const short PollHup = 0x10;
    private const int ErrorAgain = 11;
    private const int ErrorInterrupted = 4;
    private const int SetNow = 0;
    private const int PollSliceMs = 100;

    private readonly object _gate = new();
    private int _fd;

    private PtyStream(int fd) => _fd = fd;

    /// <summary>Opens <paramref name="path"/> (e.g. /dev/pts/3) and puts it in raw mode.</summary>
    public static PtyStream Open(string path)
    {
        var fd = NativeOpen(path, OpenReadWrite | OpenNoControllingTty | OpenNonBlocking | OpenCloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"cannot open console {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        // struct termios is 60 bytes on Linux; a larger buffer is harmless.
        var termios = new byte[128];
        if (GetAttributes(fd, termios) != 0)
        {
            var message = Marshal.GetLastPInvokeErrorMessage();
            _ = NativeClose(fd);
            throw new IOException($"cannot read the terminal settings of {path}: {message}");
        }

        MakeRaw(termios);
        if (SetAttributes(fd, SetNow, termios) != 0)
        {
            var message = Marshal.GetLastPInvokeErrorMessage();
            _ = NativeClose(fd);
            throw new IOException($"cannot set raw mode on {path}: {message}");
        }

        return new PtyStream(fd);
    }

    /// <summary>Whether the stream has been disposed (the console is free for another session).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _fd < 0;
            }
        }
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var chunk = new byte[Math.Min(buffer.Length, 64 * 1024)];
        var n = await Task.Run(() => ReadBlocking(chunk, cancellationToken), cancellationToken).ConfigureAwait(false);
        chunk.AsSpan(0, n).CopyTo(buffer.Span);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadBlocking(buffer.AsSpan(offset, count), CancellationToken.None);

    /// <summary>Waits for data in short poll slices; 0 when the other side hung up (the guest's QEMU exited) or the stream closed.</summary>
    private int ReadBlocking(Span<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int fd;
            lock (_gate)
            {
                fd = _fd;
            }

            if (fd < 0)
            {
                return 0;
            }

            var poll = new PollFd { Fd = fd, Events = PollIn };
            var ready = NativePoll(ref poll, 1, PollSliceMs);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == ErrorInterrupted)
                {
                    continue;
                }

                throw new IOException("console poll failed: " + Marshal.GetLastPInvokeErrorMessage());
            }

            if (ready == 0)
            {
                continue;
            }

            if ((poll.Revents & PollIn) == 0 && (poll.Revents & (PollHup | PollErr)) != 0)
            {
                return 0;
            }

            lock (_gate)
            {
                if (_fd < 0)
                {
                    return 0;
                }

                var n = NativeRead(_fd, ref MemoryMarshal.GetReference(buffer), (nint)buffer.Length);
                if (n > 0)
                {
                    return (int)n;
                }

                if (n == 0)
                {
                    return 0;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is ErrorAgain or ErrorInterrupted)
                {
                    continue;
                }

                // EIO: the master side (QEMU) is gone.
                return 0;
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteBlocking(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        WriteBlocking(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        WriteBlocking(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    private void WriteBlocking(ReadOnlySpan<byte> data)
    {
        var spins = 0;
        while (!data.IsEmpty)
        {
            nint n;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_fd < 0, this);
                n = NativeWrite(_fd, in MemoryMarshal.GetReference(data), (nint)data.Length);
            }

            if (n > 0)
            {
                data = data[(int)n..];
                spins = 0;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (n < 0 && errno is not (ErrorAgain or ErrorInterrupted))
            {
                throw new IOException("console write failed: " + Marshal.GetLastPInvokeErrorMessage());
            }

            // The terminal's buffer is full (the guest is not reading): give it a moment, then drop rather than hang.
            if (++spins > 200)
            {
                throw new IOException("console write failed: the guest is not reading its serial port");
            }

            Thread.Sleep(5);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        lock (_gate)
        {
            if (_fd >= 0)
            {
                _ = NativeClose(_fd);
                _fd = -1;
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>cfmakeraw on the Linux struct termios layout (c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[32]).</summary>
    private static void MakeRaw(byte[] termios)
    {
        var flags = MemoryMarshal.Cast<byte, uint>(termios.AsSpan(0, 16));
        const uint IGNBRK = 0x1, BRKINT = 0x2, PARMRK = 0x8, ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80, ICRNL = 0x100, IXON = 0x400;
        const uint OPOST = 0x1;
        const uint ECHO = 0x8, ECHONL = 0x40, ICANON = 0x2, ISIG = 0x1, IEXTEN = 0x8000;
        const uint CSIZE = 0x30, PARENB = 0x100, CS8 = 0x30;
        flags[0] &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
        flags[1] &= ~OPOST;
        flags[3] &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
        flags[2] &= ~(CSIZE | PARENB);
        flags[2] |= CS8;
        const int VTIME = 5, VMIN = 6, ccOffset = 17;
        termios[ccOffset + VMIN] = 1;
        termios[ccOffset + VTIME] = 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint NativeRead(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint NativeWrite(int fd, in byte buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int NativePoll(ref PollFd fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    private static partial int GetAttributes(int fd, [Out] byte[] termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    private static partial int SetAttributes(int fd, int action, byte[] termios);
}
