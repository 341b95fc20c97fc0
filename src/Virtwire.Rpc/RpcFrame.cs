using System.Buffers;
using System.Buffers.Binary;

namespace Virtwire.Rpc;

/// <summary>One complete packet: its header and its payload (length word stripped).</summary>
public readonly struct RpcFrame
{
    public RpcFrame(RpcHeader header, ReadOnlyMemory<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    public RpcHeader Header { get; }

    /// <summary>The bytes after the header; valid only as long as the buffer they came from.</summary>
    public ReadOnlyMemory<byte> Payload { get; }
}

/// <summary>Thrown when a packet's framing is invalid; the connection cannot continue.</summary>
public sealed class RpcFramingException(string message) : IOException(message);

/// <summary>
/// Finds packet boundaries in a byte stream. Framing is kept apart from decoding: this looks at
/// the length word only, rejects an impossible length before anything is buffered, and never
/// allocates on the strength of a declared length (RESPite's frame scanner, STYLE §3).
/// </summary>
public static class RpcFrameScanner
{
    /// <summary>
    /// Tries to take one whole packet from the front of <paramref name="buffer"/>.
    /// Returns <see cref="OperationStatus.Done"/> with the packet's bytes (length word excluded),
    /// <see cref="OperationStatus.NeedMoreData"/> when the packet is not complete yet (and says how
    /// many bytes the whole packet needs, once known), or <see cref="OperationStatus.InvalidData"/>
    /// with a reason when the length word is impossible.
    /// </summary>
    public static OperationStatus TryRead(
        ref ReadOnlySequence<byte> buffer,
        int maxMessageSize,
        out ReadOnlySequence<byte> packet,
        out int frameLength,
        out string? error)
    {
        packet = default;
        frameLength = 0;
        error = null;
        if (buffer.Length < RpcLimits.LengthWordSize)
        {
            return OperationStatus.NeedMoreData;
        }

        Span<byte> word = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(word);
        var length = BinaryPrimitives.ReadUInt32BigEndian(word);
        if (!IsValidLength(length, maxMessageSize, out error))
        {
            return OperationStatus.InvalidData;
        }

        frameLength = (int)length;
        if (buffer.Length < length)
        {
            return OperationStatus.NeedMoreData;
        }

        packet = buffer.Slice(4, length - 4);
        buffer = buffer.Slice(length);
        return OperationStatus.Done;
    }

    /// <summary>Checks a length word: at least length word + header, at most the message cap + length word.</summary>
    public static bool IsValidLength(uint length, int maxMessageSize, out string? error)
    {
        if (length < RpcLimits.MinFrameLength)
        {
            error = $"packet length {length} is shorter than the {RpcLimits.MinFrameLength}-byte minimum";
            return false;
        }

        if (length - RpcLimits.LengthWordSize > (uint)maxMessageSize)
        {
            error = $"packet length {length} exceeds the maximum of {maxMessageSize + RpcLimits.LengthWordSize}";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Splits a packet (length word excluded) into header and payload.</summary>
    public static RpcFrame Parse(ReadOnlyMemory<byte> packet)
    {
        if (packet.Length < RpcLimits.HeaderSize)
        {
            throw new RpcFramingException($"packet of {packet.Length} bytes is shorter than the header");
        }

        return new RpcFrame(RpcHeader.Read(packet.Span), packet[RpcLimits.HeaderSize..]);
    }
}
