using System.Globalization;
using System.Text;
using Virtwire.Protocol;

namespace Virtwire.Cli;

/// <summary>virsh's output shapes: tables, "Label:   value" blocks, state names, sizes.</summary>
internal static class Formatting
{
    /// <summary>
    /// virsh's table: each cell " value" padded to its column, columns separated by two spaces, the last
    /// column unpadded; a dashed rule as wide as every column plus three.
    /// </summary>
    public static string Table(string[] headers, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { headers };
        all.AddRange(rows);
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        var b = new StringBuilder();
        void Row(string[] cells)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                b.Append(' ').Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]) + "  ");
            }

            b.Append('\n');
        }

        Row(headers);
        b.Append('-', widths.Sum(w => w + 3)).Append('\n');
        foreach (var row in all.Skip(1))
        {
            Row(row);
        }

        return b.ToString();
    }

    /// <summary>A "Label:" padded to <paramref name="width"/> then the value (dominfo uses 15, nodeinfo 20).</summary>
    public static string Field(string label, string value, int width = 15) => (label + ":").PadRight(width) + " " + value + "\n";

    public static string YesNo(bool value) => value ? "yes" : "no";

    public static string State(DomainState state) => state switch
    {
        DomainState.Running => "running",
        DomainState.Blocked => "idle",
        DomainState.Paused => "paused",
        DomainState.Shutdown => "in shutdown",
        DomainState.Shutoff => "shut off",
        DomainState.Crashed => "crashed",
        DomainState.PmSuspended => "pmsuspended",
        _ => "no state",
    };

    public static string Reason(DomainState state, int reason)
    {
        string[] names = state switch
        {
            DomainState.Running => ["unknown", "booted", "migrated", "restored", "from snapshot", "unpaused", "migration canceled", "save canceled",
                "event wakeup", "crashed", "post-copy", "post-copy failed"],
            DomainState.Paused => ["unknown", "user", "migrating", "saving", "dumping", "I/O error", "watchdog", "from snapshot", "shutting down",
                "creating snapshot", "crashed", "starting up", "post-copy", "post-copy failed", "api error"],
            DomainState.Shutdown => ["unknown", "user"],
            DomainState.Shutoff => ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot", "daemon"],
            DomainState.Crashed => ["unknown", "panicked"],
            DomainState.PmSuspended => ["unknown"],
            _ => ["unknown"],
        };
        return reason >= 0 && reason < names.Length ? names[reason] : "unknown";
    }

    public static string PoolState(StoragePoolState state) => state switch
    {
        StoragePoolState.Inactive => "inactive",
        StoragePoolState.Building => "building",
        StoragePoolState.Running => "running",
        StoragePoolState.Degraded => "degraded",
        StoragePoolState.Inaccessible => "inaccessible",
        _ => "unknown",
    };

    /// <summary>Bytes scaled the way virsh prints pool sizes: "100.00 GiB", "0.00 B".</summary>
    public static string Size(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString("0.00", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>A libvirt version number (major × 1e6 + minor × 1e3 + micro) as "major.minor.micro".</summary>
    public static string Version(ulong version) => $"{version / 1_000_000}.{version / 1_000 % 1_000}.{version % 1_000}";

    public static string Value(object value) => value switch
    {
        bool b => b ? "yes" : "no",
        double d => d.ToString("0.000000", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
