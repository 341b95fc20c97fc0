namespace Virtwire.TestKit.Peers;

/// <summary>What a process holds, read from /proc: sockets and resident memory (for leak checks).</summary>
public static class ProcessProbe
{
    /// <summary>Sockets the process holds (assemblies it maps lazily, e.g. for a first stack trace, are not counted).</summary>
    public static int Sockets(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Count(f =>
    {
        try
        {
            return new FileInfo(f).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false;
        }
    });

    public static long RssKiB(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The descriptors a process holds, grouped by kind ("12 socket, 3 pipe, …"), for failure messages.</summary>
    public static string Describe(int pid) => string.Join(", ", Directory.GetFiles($"/proc/{pid}/fd")
        .Select(f =>
        {
            try
            {
                var target = new FileInfo(f).LinkTarget ?? "?";
                return target.Contains(':', StringComparison.Ordinal) ? target[..target.IndexOf(':', StringComparison.Ordinal)] : target;
            }
            catch (IOException)
            {
                return "gone";
            }
        })
        .GroupBy(t => t).Select(g => $"{g.Count()} {g.Key}"));
}
