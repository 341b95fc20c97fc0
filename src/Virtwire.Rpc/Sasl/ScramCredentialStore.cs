using System.Globalization;
using System.Text;

namespace Virtwire.Rpc.Sasl;

/// <summary>
/// The daemon's SASL user database (Virtwire's counterpart of Cyrus's sasldb): one line per user and mechanism,
/// <c>user:MECHANISM:iterations:salt:StoredKey:ServerKey</c> (base64), never a password. The file is replaced
/// atomically (temp file, fsync, rename) with mode 0600, and re-read when it changes, so <c>virtwire saslpasswd</c>
/// takes effect on a running daemon.
/// </summary>
public sealed class ScramCredentialStore
{
    private readonly object _lock = new();
    private Dictionary<(string User, string Mechanism), ScramCredential> _entries = [];
    private DateTime _loadedStamp = DateTime.MinValue;
    private long _loadedLength = -1;

    public ScramCredentialStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    /// <summary>Where virtwired and <c>virtwire saslpasswd</c> look without <c>sasl_db</c>/<c>-f</c>: system-wide for root, else per user.</summary>
    public static string DefaultPath() =>
        Environment.UserName == "root" ? "/etc/virtwire/passwd.db" :
        System.IO.Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") ??
            System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "virtwire", "passwd.db");

    /// <summary>The stored keys of <paramref name="user"/> for <paramref name="mechanism"/>, or null.</summary>
    public ScramCredential? Find(string user, ScramMechanism mechanism)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        lock (_lock)
        {
            Refresh();
            return _entries.GetValueOrDefault((user, mechanism.Name));
        }
    }

    public IReadOnlyList<string> Users()
    {
        lock (_lock)
        {
            Refresh();
            return [.. _entries.Keys.Select(k => k.User).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Sets (or replaces) the password of <paramref name="user"/> for every SCRAM mechanism.</summary>
    public void SetPassword(string user, string password, int iterations = 10_000)
    {
        ValidateUser(user);
        ArgumentNullException.ThrowIfNull(password);
        lock (_lock)
        {
            Refresh();
            var entries = new Dictionary<(string, string), ScramCredential>(_entries);
            foreach (var mechanism in ScramMechanism.All)
            {
                entries[(user, mechanism.Name)] = ScramCredential.Create(mechanism, password, iterations);
            }

            Save(entries);
        }
    }

    /// <summary>Removes <paramref name="user"/>; false when there was no such user.</summary>
    public bool Delete(string user)
    {
        lock (_lock)
        {
            Refresh();
            var entries = _entries.Where(e => e.Key.User != user).ToDictionary(e => e.Key, e => e.Value);
            if (entries.Count == _entries.Count)
            {
                return false;
            }

            Save(entries);
            return true;
        }
    }

    private static void ValidateUser(string user)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        if (user.IndexOfAny([':', '\n', '\r']) >= 0)
        {
            throw new ArgumentException("a user name cannot contain ':' or a line break", nameof(user));
        }
    }

    private void Refresh()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            _entries = [];
            _loadedStamp = DateTime.MinValue;
            _loadedLength = -1;
            return;
        }

        if (info.LastWriteTimeUtc == _loadedStamp && info.Length == _loadedLength)
        {
            return;
        }

        var entries = new Dictionary<(string, string), ScramCredential>();
        var number = 0;
        foreach (var line in File.ReadLines(Path))
        {
            number++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split(':');
            if (fields.Length != 6 || ScramMechanism.Find(fields[1]) is not { } mechanism ||
                !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
            {
                throw new InvalidDataException($"{Path}:{number}: not a SCRAM credential line");
            }

            try
            {
                entries[(fields[0], mechanism.Name)] = new ScramCredential(mechanism, iterations, Convert.FromBase64String(fields[3]),
                    Convert.FromBase64String(fields[4]), Convert.FromBase64String(fields[5]));
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{Path}:{number}: bad base64 in a SCRAM credential");
            }
        }

        _entries = entries;
        _loadedStamp = info.LastWriteTimeUtc;
        _loadedLength = info.Length;
    }

    private void Save(Dictionary<(string User, string Mechanism), ScramCredential> entries)
    {
        var text = new StringBuilder("# Virtwire SASL users: user:mechanism:iterations:salt:StoredKey:ServerKey (no passwords)\n");
        foreach (var ((user, mechanism), c) in entries.OrderBy(e => e.Key.User, StringComparer.Ordinal).ThenBy(e => e.Key.Mechanism, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{user}:{mechanism}:{c.Iterations}:{Convert.ToBase64String(c.Salt)}:")
                .Append(CultureInfo.InvariantCulture, $"{Convert.ToBase64String(c.StoredKey)}:{Convert.ToBase64String(c.ServerKey)}\n");
        }

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temp = System.IO.Path.Combine(directory, "." + System.IO.Path.GetFileName(Path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                // Readable by its owner only, as saslpasswd2 leaves sasldb.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        _entries = entries;
        var info = new FileInfo(Path);
        _loadedStamp = info.LastWriteTimeUtc;
        _loadedLength = info.Length;
    }
}
