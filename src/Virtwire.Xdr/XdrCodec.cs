using System.Buffers;

namespace Virtwire.Xdr;

/// <summary>Whole-value helpers over <see cref="IXdrType{TSelf}"/>.</summary>
public static class XdrCodec
{
    /// <summary>Encodes <paramref name="value"/> into a new array.</summary>
    public static byte[] Encode<T>(T value)
        where T : IXdrWritable
    {
        var bytes = new byte[value.GetSize()];
        var writer = new XdrWriter(bytes);
        value.Write(ref writer);
        return bytes;
    }

    /// <summary>Encodes <paramref name="value"/> into <paramref name="destination"/>; returns the byte count.</summary>
    public static int Encode<T>(T value, IBufferWriter<byte> destination)
        where T : IXdrWritable
    {
        var size = value.GetSize();
        var span = destination.GetSpan(size)[..size];
        var writer = new XdrWriter(span);
        value.Write(ref writer);
        destination.Advance(size);
        return size;
    }

    /// <summary>Decodes one value from the start of <paramref name="bytes"/>; trailing bytes are ignored, as libvirt does.</summary>
    /// <exception cref="XdrFormatException">The bytes are not a valid encoding.</exception>
    public static T Decode<T>(ReadOnlySpan<byte> bytes)
        where T : IXdrType<T>
    {
        var reader = new XdrReader(bytes);
        return T.Read(ref reader);
    }
}
