using System.Runtime.InteropServices;
using System.Text;

namespace Virtwire.Drivers.Qemu;

/// <summary>Durable file replacement and process signals, the few POSIX calls .NET does not expose directly.</summary>
internal static partial class NativeFiles
{
    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000;
    private const int OpenCloseOnExec = 0x80000;

    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/> atomically and durably: a temporary file in the
    /// same directory is written and fsynced, renamed over the target, and the directory is fsynced. A crash at any point
    /// leaves either the old file or the new one, never a torn one.
    /// </summary>
    public static void WriteAtomic(string path, string content)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        SyncDirectory(directory);
    }

    /// <summary>Deletes <paramref name="path"/> and makes the removal durable.</summary>
    public static void DeleteDurably(string path)
    {
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
            SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }

    public static void SyncDirectory(string directory)
    {
        var fd = NativeOpen(directory, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (fd < 0)
        {
            return;
        }

        _ = NativeFsync(fd);
        _ = NativeClose(fd);
    }

    /// <summary>Whether <paramref name="pid"/> is a live (not zombie) process whose command line contains <paramref name="marker"/>.</summary>
    public static bool IsLiveProcess(int pid, string marker)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            if (state is 'Z' or 'X')
            {
                return false;
            }

            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return cmdline.Contains(marker, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>User plus system CPU time of <paramref name="pid"/> in nanoseconds (0 when unknown).</summary>
    /// <summary>Resident set size of a process in KiB, from /proc/PID/status (VmRSS); null when it is gone.</summary>
    public static ulong? ResidentKiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return ulong.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    public static ulong CpuTimeNs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = ulong.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) +
                        ulong.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return ticks * 10_000_000; // USER_HZ is 100 on Linux
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public static bool Signal(int pid, int signal) => NativeKill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int NativeFsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);
}
