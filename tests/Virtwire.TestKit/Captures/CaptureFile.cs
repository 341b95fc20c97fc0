using System.Buffers.Binary;
using System.Globalization;
using Virtwire.Rpc;

namespace Virtwire.TestKit.Captures;

/// <summary>Which way a captured frame travelled.</summary>
public enum CaptureDirection
{
    ClientToServer,
    ServerToClient,
}

/// <summary>One libvirt packet from a real capture: the whole packet bytes (length word included) and its parsed header.</summary>
public sealed record CapturedFrame(string Capture, int Stream, CaptureDirection Direction, int Index, byte[] Bytes)
{
    public RpcHeader Header => RpcHeader.Read(Bytes.AsSpan(RpcLimits.LengthWordSize));

    public ReadOnlyMemory<byte> Payload => Bytes.AsMemory(RpcLimits.MinFrameLength);

    public override string ToString() => $"{Capture}#{Stream} {Direction} frame {Index} (proc {Header.Procedure}, type {Header.Type})";
}

/// <summary>
/// Loads the real virsh/python3-libvirt ↔ libvirtd captures in tests/data/captures. The .hex files are
/// tshark "follow tcp raw" output: one section per TCP stream, client-to-server segments unindented,
/// server-to-client segments tab-indented. Segments are joined per direction and split by the length word.
/// </summary>
public static class CaptureFile
{
    public static string Directory => Path.Combine(RepositoryRoot.Path, "tests", "data", "captures");

    public static IReadOnlyList<string> Names =>
        System.IO.Directory.GetFiles(Directory, "*.hex").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToArray()!;

    public static IReadOnlyList<CapturedFrame> Load(string name)
    {
        var frames = new List<CapturedFrame>();
        var stream = -1;
        var client = new List<byte>();
        var server = new List<byte>();

        void Flush()
        {
            if (stream >= 0)
            {
                Split(name, stream, CaptureDirection.ClientToServer, client, frames);
                Split(name, stream, CaptureDirection.ServerToClient, server, frames);
            }

            client.Clear();
            server.Clear();
        }

        foreach (var line in File.ReadLines(Path.Combine(Directory, name + ".hex")))
        {
            if (line.StartsWith("Filter:", StringComparison.Ordinal))
            {
                Flush();
                stream = int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                continue;
            }

            var trimmed = line.Trim();
            if (trimmed.Length == 0 || !trimmed.All(Uri.IsHexDigit))
            {
                continue;
            }

            (line.StartsWith('\t') ? server : client).AddRange(Convert.FromHexString(trimmed));
        }

        Flush();
        return frames;
    }

    private static void Split(string name, int stream, CaptureDirection direction, List<byte> bytes, List<CapturedFrame> frames)
    {
        var data = bytes.ToArray();
        var offset = 0;
        var index = 0;
        while (offset < data.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
            if (length < RpcLimits.MinFrameLength || offset + length > data.Length)
            {
                throw new InvalidDataException($"{name} stream {stream} {direction}: bad or truncated frame at offset {offset}");
            }

            frames.Add(new CapturedFrame(name, stream, direction, index++, data.AsSpan(offset, length).ToArray()));
            offset += length;
        }
    }
}
