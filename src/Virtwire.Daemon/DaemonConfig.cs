using System.Globalization;
using System.Text;

namespace Virtwire.Daemon;

/// <summary>A parse error in libvirtd.conf, with the line it happened on.</summary>
internal sealed class ConfigException(string message) : Exception(message);

/// <summary>
/// libvirtd.conf in libvirt's syntax: <c># comments</c>, <c>key = value</c> where a value is an integer,
/// a "quoted string" or a <c>[ "list", "of", "strings" ]</c> that may span lines.
/// </summary>
internal sealed class DaemonConfig
{
    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "listen_tcp", "listen_tls", "listen_addr", "tcp_port", "tls_port", "unix_sock_dir", "unix_sock_group", "unix_sock_ro_perms",
        "unix_sock_rw_perms", "unix_sock_admin_perms", "auth_tcp", "auth_tls", "auth_unix_ro", "auth_unix_rw", "max_clients",
        "max_queued_clients", "max_anonymous_clients", "min_workers", "max_workers", "prio_workers", "max_client_requests",
        "keepalive_interval", "keepalive_count", "keepalive_required", "log_level", "log_outputs", "log_filters",
        "key_file", "cert_file", "ca_file", "crl_file", "tls_no_verify_certificate", "tls_allowed_dn_list", "tls_priority",
        // Virtwire's own: where the QEMU driver keeps definitions (etc/qemu), runtime status (run/qemu) and logs (log/qemu).
        "qemu_root", "sasl_db",
        "sasl_allowed_username_list",
    };

    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public List<string> UnknownKeys { get; } = [];

    public static DaemonConfig Parse(string text, string source)
    {
        var config = new DaemonConfig();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var lineNumber = i + 1;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigException($"{source}:{lineNumber}: expected 'key = value', got '{line}'");
            }

            var key = line[..eq].Trim();
            if (!key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new ConfigException($"{source}:{lineNumber}: invalid key '{key}'");
            }

            var value = line[(eq + 1)..].Trim();
            if (value.StartsWith('['))
            {
                // A list may continue over following lines until its closing bracket.
                var builder = new StringBuilder(value);
                while (!InsideClosed(builder.ToString()) && i + 1 < lines.Length)
                {
                    builder.Append(' ').Append(StripComment(lines[++i]).Trim());
                }

                config._values[key] = ParseList(builder.ToString(), source, lineNumber);
            }
            else
            {
                config._values[key] = ParseScalar(value, source, lineNumber);
            }

            if (!KnownKeys.Contains(key))
            {
                config.UnknownKeys.Add(key);
            }
        }

        return config;
    }

    private static bool InsideClosed(string text)
    {
        var quoted = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ']' && !quoted)
            {
                return true;
            }
        }

        return false;
    }

    private static string StripComment(string line)
    {
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"')
            {
                quoted = !quoted;
            }
            else if (line[i] == '#' && !quoted)
            {
                return line[..i];
            }
        }

        return line;
    }

    private static object ParseScalar(string value, string source, int line)
    {
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            return value[1..^1];
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        throw new ConfigException($"{source}:{line}: expected a number or a quoted string, got '{value}'");
    }

    private static List<string> ParseList(string value, string source, int line)
    {
        var inner = value.Trim();
        if (!inner.EndsWith(']'))
        {
            throw new ConfigException($"{source}:{line}: list is not closed with ']'");
        }

        inner = inner[1..^1].Trim();
        var items = new List<string>();
        if (inner.Length == 0)
        {
            return items;
        }

        foreach (var part in SplitOutsideQuotes(inner))
        {
            var item = part.Trim();
            if (item.Length == 0)
            {
                continue;
            }

            if (item.Length < 2 || item[0] != '"' || item[^1] != '"')
            {
                throw new ConfigException($"{source}:{line}: list items must be quoted strings, got '{item}'");
            }

            items.Add(item[1..^1]);
        }

        return items;
    }

    private static IEnumerable<string> SplitOutsideQuotes(string text)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (text[i] == ',' && !quoted)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    public bool Has(string key) => _values.ContainsKey(key);

    public long GetInt(string key, long fallback) => _values.TryGetValue(key, out var v)
        ? v as long? ?? throw new ConfigException($"'{key}' must be a number")
        : fallback;

    public string GetString(string key, string fallback) => _values.TryGetValue(key, out var v)
        ? v as string ?? throw new ConfigException($"'{key}' must be a quoted string")
        : fallback;

    public string? GetStringOrNull(string key) => _values.TryGetValue(key, out var v) ? v as string ?? throw new ConfigException($"'{key}' must be a quoted string") : null;

    public IReadOnlyList<string> GetList(string key) => _values.TryGetValue(key, out var v)
        ? v as List<string> ?? throw new ConfigException($"'{key}' must be a list")
        : [];

    public bool GetBool(string key, bool fallback) => GetInt(key, fallback ? 1 : 0) != 0;

    /// <summary>An octal permission string such as "0770".</summary>
    public UnixFileMode GetPerms(string key, string fallback)
    {
        var text = GetString(key, fallback);
        try
        {
            return (UnixFileMode)Convert.ToInt32(text, 8);
        }
        catch (FormatException)
        {
            throw new ConfigException($"'{key}' must be an octal permission string like \"0770\", got '{text}'");
        }
    }
}
