using System.Buffers.Binary;
using Virtwire.Xdr;

namespace Virtwire.Rpc;

/// <summary>Builds whole packets: length word, header, payload, sized once.</summary>
public static class RpcFrameWriter
{
    /// <summary>Total bytes of a packet whose payload is <paramref name="payloadSize"/> bytes.</summary>
    public static int FrameSize(int payloadSize) => RpcLimits.MinFrameLength + payloadSize;

    /// <summary>Writes a packet into <paramref name="destination"/>, which must be exactly <see cref="FrameSize"/> bytes or more; returns bytes written.</summary>
    public static int Write<T>(Span<byte> destination, in RpcHeader header, T payload)
        where T : IXdrWritable =>
        WriteMeasured(destination, header, payload, MeasureFrame(payload));

    /// <summary>
    /// The size of the packet carrying <paramref name="payload"/>; throws <see cref="InvalidOperationException"/>
    /// when it is over libvirt's maximum. With <see cref="WriteMeasured"/> a caller can size its buffer first
    /// without the payload being measured twice.
    /// </summary>
    internal static int MeasureFrame<T>(T payload)
        where T : IXdrWritable
    {
        var total = FrameSize(payload.GetSize());
        if (total - RpcLimits.LengthWordSize > RpcLimits.MaxMessageSize)
        {
            throw new InvalidOperationException(
                $"message of {total - RpcLimits.LengthWordSize} bytes exceeds libvirt's maximum of {RpcLimits.MaxMessageSize}");
        }

        return total;
    }

    /// <summary>Writes a packet of <paramref name="total"/> bytes, as returned by <see cref="MeasureFrame"/> for this payload.</summary>
    internal static int WriteMeasured<T>(Span<byte> destination, in RpcHeader header, T payload, int total)
        where T : IXdrWritable
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)total);
        header.Write(destination[RpcLimits.LengthWordSize..]);
        var writer = new XdrWriter(destination[RpcLimits.MinFrameLength..total]);
        payload.Write(ref writer);
        return total;
    }

    /// <summary>Writes a packet whose payload is raw, already-encoded bytes (stream data).</summary>
    public static int WriteRaw(Span<byte> destination, in RpcHeader header, ReadOnlySpan<byte> payload)
    {
        var total = FrameSize(payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)total);
        header.Write(destination[RpcLimits.LengthWordSize..]);
        payload.CopyTo(destination[RpcLimits.MinFrameLength..]);
        return total;
    }

    /// <summary>Encodes a packet into a new array (tests and cold paths).</summary>
    public static byte[] ToArray<T>(in RpcHeader header, T payload)
        where T : IXdrWritable
    {
        var bytes = new byte[FrameSize(payload.GetSize())];
        Write(bytes, header, payload);
        return bytes;
    }
}
