using System.Buffers.Binary;
using System.Text;

namespace Virtwire.Xdr;

/// <summary>
/// Writes XDR into a span sized beforehand with <see cref="IXdrWritable.GetSize"/> (or
/// <see cref="XdrSize"/>): no growth, no back-patching, no allocation.
/// </summary>
public ref struct XdrWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public XdrWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Position => _position;

    /// <summary>The bytes written so far.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer[.._position];

    private Span<byte> Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            ThrowHelper.ThrowBufferTooSmall(count, _buffer.Length - _position);
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Advance(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Advance(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Advance(8), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Advance(8), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleBigEndian(Advance(8), value);

    public void WriteBool(bool value) => WriteUInt32(value ? 1u : 0u);

    /// <summary>
    /// A <c>char</c> scalar widened to 4 bytes, sign-extended as libvirt on x86 does, so that
    /// our bytes equal libvirt's (protocol-facts §3).
    /// </summary>
    public void WriteByteAsInt32(byte value) => WriteInt32((sbyte)value);

    /// <summary>An <c>unsigned char</c> scalar widened to 4 bytes (zero-extended).</summary>
    public void WriteUnsignedByteAsInt32(byte value) => WriteUInt32(value);

    /// <summary>An <c>unsigned short</c> scalar widened to 4 bytes.</summary>
    public void WriteUInt16AsInt32(ushort value) => WriteUInt32(value);

    public void WritePresence(bool present) => WriteUInt32(present ? 1u : 0u);

    private void WritePadding(int length)
    {
        var pad = XdrSize.Padding(length);
        if (pad != 0)
        {
            Advance(pad).Clear();
        }
    }

    /// <summary>A string, UTF-8 encoded, checked against <paramref name="max"/>.</summary>
    public void WriteString(string value, int max)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > max)
        {
            ThrowHelper.ThrowOverMax("string", length, max);
        }

        WriteUInt32((uint)length);
        Encoding.UTF8.GetBytes(value, Advance(length));
        WritePadding(length);
    }

    public void WriteOptionalString(string? value, int max)
    {
        WritePresence(value is not null);
        if (value is not null)
        {
            WriteString(value, max);
        }
    }

    public void WriteOpaque(scoped ReadOnlySpan<byte> value, int max)
    {
        if (value.Length > max)
        {
            ThrowHelper.ThrowOverMax("opaque", value.Length, max);
        }

        WriteUInt32((uint)value.Length);
        value.CopyTo(Advance(value.Length));
        WritePadding(value.Length);
    }

    public void WriteFixedOpaque(scoped ReadOnlySpan<byte> value, int length)
    {
        if (value.Length != length)
        {
            ThrowHelper.ThrowFixedLength(length, value.Length);
        }

        value.CopyTo(Advance(length));
        WritePadding(length);
    }

    /// <summary>Checks that a fixed-length array has exactly <paramref name="length"/> elements (nothing is written).</summary>
    public static void CheckFixedCount(int count, int length)
    {
        if (count != length)
        {
            ThrowHelper.ThrowFixedLength(length, count);
        }
    }

    public void WriteArrayCount(int count, int max)
    {
        if (count > max)
        {
            ThrowHelper.ThrowOverMax("array", count, max);
        }

        WriteUInt32((uint)count);
    }

    /// <summary>A <c>char x&lt;max&gt;</c> array: count, then one sign-extended 4-byte int per byte.</summary>
    public void WriteCharArray(scoped ReadOnlySpan<byte> value, int max)
    {
        WriteArrayCount(value.Length, max);
        WriteFixedCharArray(value);
    }

    /// <summary>A fixed <c>char x[N]</c> array of exactly <paramref name="length"/> bytes.</summary>
    public void WriteFixedCharArray(scoped ReadOnlySpan<byte> value, int length)
    {
        if (value.Length != length)
        {
            ThrowHelper.ThrowFixedLength(length, value.Length);
        }

        WriteFixedCharArray(value);
    }

    /// <summary>A fixed <c>char x[N]</c> array: one sign-extended 4-byte int per byte.</summary>
    public void WriteFixedCharArray(scoped ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            WriteByteAsInt32(b);
        }
    }

    /// <summary>Raw bytes with no length or padding (already-encoded XDR).</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> value) => value.CopyTo(Advance(value.Length));
}
