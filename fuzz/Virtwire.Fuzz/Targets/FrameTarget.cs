using System.Buffers;
using Virtwire.Rpc;

namespace Virtwire.Fuzz.Targets;

/// <summary>
/// The framing layer: the input is a byte stream as it arrives from a peer. The scanner must take
/// whole packets off the front, ask for more data, or reject the length word; never anything else.
/// The same stream cut into many small segments must scan to the same packets.
/// </summary>
internal static class FrameTarget
{
    // A small cap as well as the real one, so fuzzed length words reach the "too long" branch cheaply.
    private static readonly int[] MaxMessageSizes = [RpcLimits.MaxMessageSize, 4096];

    // Segment lengths for the split copy of the input: odd sizes that cut length words and headers apart.
    private static readonly int[] SegmentLengths = [1, 3, 2, 7, 5, 11, 4];

    public static void Run(ReadOnlySpan<byte> input)
    {
        var bytes = input.ToArray();
        foreach (var max in MaxMessageSizes)
        {
            var whole = Scan(new ReadOnlySequence<byte>(bytes), max);
            var split = Scan(Segments.Split(bytes, SegmentLengths), max);
            Invariant.Check(whole.Status == split.Status && whole.Error == split.Error && whole.Packets.Count == split.Packets.Count,
                $"split scan ended differently: {whole.Status}/{whole.Packets.Count} whole, {split.Status}/{split.Packets.Count} split");
            for (var i = 0; i < whole.Packets.Count; i++)
            {
                Invariant.Check(whole.Packets[i].AsSpan().SequenceEqual(split.Packets[i]), $"packet {i} differs when the stream is split");
            }
        }

        // The whole input taken as one packet (length word already stripped), as the server's read loop does.
        try
        {
            var frame = RpcFrameScanner.Parse(bytes);
            Invariant.Check(frame.Payload.Length == bytes.Length - RpcLimits.HeaderSize, "payload length is not packet minus header");
        }
        catch (RpcFramingException)
        {
            Invariant.Check(bytes.Length < RpcLimits.HeaderSize, "a packet holding a whole header was refused");
        }
    }

    private static ScanResult Scan(ReadOnlySequence<byte> buffer, int maxMessageSize)
    {
        var packets = new List<byte[]>();
        while (true)
        {
            var before = buffer.Length;
            var status = RpcFrameScanner.TryRead(ref buffer, maxMessageSize, out var packet, out var frameLength, out var error);
            switch (status)
            {
                case OperationStatus.Done:
                    Invariant.Check(frameLength >= RpcLimits.MinFrameLength && frameLength - RpcLimits.LengthWordSize <= maxMessageSize,
                        $"accepted frame length {frameLength}");
                    Invariant.Check(packet.Length == frameLength - RpcLimits.LengthWordSize, "packet length is not frame length minus the length word");
                    Invariant.Check(buffer.Length == before - frameLength, "the buffer did not advance by exactly one frame");
                    Invariant.Check(error is null, "an accepted frame carries an error");
                    var bytes = packet.ToArray();
                    var frame = RpcFrameScanner.Parse(bytes);
                    var header = new byte[RpcLimits.HeaderSize];
                    frame.Header.Write(header);
                    Invariant.Check(header.AsSpan().SequenceEqual(bytes.AsSpan(0, RpcLimits.HeaderSize)), "header does not write back to its bytes");
                    packets.Add(bytes);
                    continue;
                case OperationStatus.NeedMoreData:
                    Invariant.Check(buffer.Length == before && error is null, "asking for more data consumed bytes or set an error");
                    Invariant.Check(frameLength == 0 || frameLength > before, $"asked for more data with {before} of {frameLength} bytes buffered");
                    return new ScanResult(packets, status, error);
                case OperationStatus.InvalidData:
                    Invariant.Check(buffer.Length == before && error is not null, "a rejected length word consumed bytes or gave no reason");
                    return new ScanResult(packets, status, error);
                default:
                    throw new FuzzInvariantException($"unexpected status {status}");
            }
        }
    }

    private sealed record ScanResult(List<byte[]> Packets, OperationStatus Status, string? Error);
}
