using System.Buffers.Binary;
using System.Globalization;
using Virtwire.Rpc;

namespace Virtwire.Fuzz.Corpus;

/// <summary>One direction of one TCP stream of a real capture, split into packets (length word included).</summary>
public sealed record CapturedStream(string Name, IReadOnlyList<byte[]> Frames)
{
    /// <summary>
    /// Reads a tshark "follow tcp raw" dump (tests/data/captures/*.hex): a section per TCP stream,
    /// client-to-server segments unindented, server-to-client segments tab-indented. Segments are joined
    /// per direction and cut into packets by their length words.
    /// </summary>
    public static IReadOnlyList<CapturedStream> Load(string hexPath)
    {
        var capture = Path.GetFileNameWithoutExtension(hexPath);
        var streams = new List<CapturedStream>();
        var stream = -1;
        var client = new List<byte>();
        var server = new List<byte>();

        void Flush()
        {
            if (stream >= 0)
            {
                streams.Add(new CapturedStream($"{capture}-s{stream}-c2s", Split(client, hexPath)));
                streams.Add(new CapturedStream($"{capture}-s{stream}-s2c", Split(server, hexPath)));
            }

            client.Clear();
            server.Clear();
        }

        foreach (var line in File.ReadLines(hexPath))
        {
            if (line.StartsWith("Filter:", StringComparison.Ordinal))
            {
                Flush();
                stream = int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                continue;
            }

            var trimmed = line.Trim();
            if (trimmed.Length > 0 && trimmed.All(Uri.IsHexDigit))
            {
                (line.StartsWith('\t') ? server : client).AddRange(Convert.FromHexString(trimmed));
            }
        }

        Flush();
        return streams;
    }

    private static List<byte[]> Split(List<byte> joined, string hexPath)
    {
        var data = joined.ToArray();
        var frames = new List<byte[]>();
        for (var offset = 0; offset < data.Length;)
        {
            var length = offset + 4 <= data.Length ? (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset)) : -1;
            if (length < RpcLimits.MinFrameLength || length > data.Length - offset)
            {
                throw new InvalidDataException($"{hexPath}: bad or truncated packet at offset {offset}");
            }

            frames.Add(data.AsSpan(offset, length).ToArray());
            offset += length;
        }

        return frames;
    }
}
