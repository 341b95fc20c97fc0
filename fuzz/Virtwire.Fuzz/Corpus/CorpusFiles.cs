using System.Globalization;
using System.Text;

namespace Virtwire.Fuzz.Corpus;

/// <summary>Reads corpus directories and AFL token dictionaries.</summary>
public static class CorpusFiles
{
    /// <summary>Every file of <paramref name="directory"/>, in name order (empty when it does not exist).</summary>
    public static IReadOnlyList<byte[]> Load(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray()
            : [];

    /// <summary>
    /// Tokens of an AFL dictionary: one <c>name="value"</c> or <c>"value"</c> a line, <c>#</c> comments,
    /// with <c>\xNN</c>, <c>\\</c> and <c>\"</c> escapes.
    /// </summary>
    public static IReadOnlyList<byte[]> LoadDictionary(string? path)
    {
        if (path is null)
        {
            return [];
        }

        var tokens = new List<byte[]>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            var open = line.IndexOf('"', StringComparison.Ordinal);
            if (line.StartsWith('#') || open < 0 || !line.EndsWith('"') || line.Length - open < 2)
            {
                continue;
            }

            tokens.Add(Unescape(line[(open + 1)..^1]));
        }

        return tokens;
    }

    private static byte[] Unescape(string value)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                if (value[i + 1] == 'x' && i + 3 < value.Length)
                {
                    bytes.Add(byte.Parse(value.AsSpan(i + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 3;
                    continue;
                }

                bytes.Add((byte)value[i + 1]);
                i++;
                continue;
            }

            bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
        }

        return [.. bytes];
    }
}
