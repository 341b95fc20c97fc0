using System.Buffers.Binary;
using System.Text;

namespace Virtwire.Xdr;

/// <summary>
/// Reads XDR (RFC 4506) as libvirt uses it from one contiguous span, normally one whole frame.
/// Every variable-length read checks its declared maximum and the bytes that remain before it
/// allocates, so a hostile length can never make us allocate more than the frame already holds.
/// </summary>
/// <remarks>Malformed input throws <see cref="XdrFormatException"/>.</remarks>
public ref struct XdrReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public XdrReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>The unread bytes.</summary>
    public readonly ReadOnlySpan<byte> UnreadSpan => _buffer[_position..];

    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            ThrowHelper.ThrowTruncated(count, _buffer.Length - _position);
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>An XDR bool: exactly 0 or 1; anything else is malformed.</summary>
    public bool ReadBool()
    {
        var value = ReadUInt32();
        if (value > 1)
        {
            ThrowHelper.ThrowBadBool(value);
        }

        return value == 1;
    }

    /// <summary>
    /// An XDR <c>char</c>/<c>unsigned char</c> scalar, widened to 4 bytes on the wire. Only the
    /// low 8 bits are kept (libvirt on x86 sign-extends, other platforms do not).
    /// </summary>
    public byte ReadByteAsInt32() => (byte)ReadUInt32();

    /// <summary>An XDR <c>short</c>/<c>unsigned short</c> scalar, widened to 4 bytes.</summary>
    public ushort ReadUInt16AsInt32() => (ushort)ReadUInt32();

    /// <summary>
    /// The presence flag of optional data (<c>T *x</c>). glibc treats any non-zero value as
    /// "present" and go-libvirt sends 0x01000000, so we do too (protocol-facts §3).
    /// </summary>
    public bool ReadPresence() => ReadUInt32() != 0;

    /// <summary>
    /// The count of a variable-length array, checked against <paramref name="max"/> and against
    /// the bytes left, given that every element takes at least <paramref name="minElementSize"/> bytes.
    /// </summary>
    public int ReadArrayCount(int max, int minElementSize = 4)
    {
        var count = ReadUInt32();
        if (count > (uint)max)
        {
            ThrowHelper.ThrowLengthTooLarge("array", count, max);
        }

        if ((ulong)count * (ulong)Math.Max(minElementSize, 0) > (ulong)Remaining)
        {
            ThrowHelper.ThrowTruncated((int)Math.Min(int.MaxValue, (long)count * minElementSize), Remaining);
        }

        return (int)count;
    }

    private int ReadLength(string what, int max)
    {
        var length = ReadUInt32();
        if (length > (uint)max)
        {
            ThrowHelper.ThrowLengthTooLarge(what, length, max);
        }

        var padded = (long)length + Pad(length);
        if (padded > Remaining)
        {
            ThrowHelper.ThrowTruncated((int)Math.Min(int.MaxValue, padded), Remaining);
        }

        return (int)length;
    }

    private static int Pad(long length) => (int)((4 - (length & 3)) & 3);

    private void SkipPadding(int length)
    {
        var pad = Pad(length);
        if (pad != 0)
        {
            // RFC 4506 says padding is zero; glibc does not check and neither does libvirt,
            // so we accept any padding bytes rather than reject a peer libvirt accepts.
            Take(pad);
        }
    }

    /// <summary>A variable-length string (<c>string x&lt;max&gt;</c>), UTF-8, no terminator.</summary>
    public string ReadString(int max)
    {
        var length = ReadLength("string", max);
        var bytes = Take(length);
        SkipPadding(length);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            ThrowHelper.ThrowInvalidUtf8(ex);
            return null!;
        }
    }

    /// <summary>An optional string (<c>remote_string</c>): presence flag, then the string.</summary>
    public string? ReadOptionalString(int max) => ReadPresence() ? ReadString(max) : null;

    /// <summary>Variable-length opaque data (<c>opaque x&lt;max&gt;</c>).</summary>
    public byte[] ReadOpaque(int max)
    {
        var length = ReadLength("opaque", max);
        var bytes = Take(length).ToArray();
        SkipPadding(length);
        return bytes;
    }

    /// <summary>Variable-length opaque data returned as a slice of the input, without copying.</summary>
    public ReadOnlySpan<byte> ReadOpaqueSpan(int max)
    {
        var length = ReadLength("opaque", max);
        var bytes = Take(length);
        SkipPadding(length);
        return bytes;
    }

    /// <summary>Fixed-length opaque data (<c>opaque x[N]</c>) into <paramref name="destination"/>.</summary>
    public void ReadFixedOpaque(scoped Span<byte> destination)
    {
        Take(destination.Length).CopyTo(destination);
        SkipPadding(destination.Length);
    }

    /// <summary>Fixed-length opaque data (<c>opaque x[N]</c>) into a new array.</summary>
    public byte[] ReadFixedOpaque(int length)
    {
        var bytes = Take(length).ToArray();
        SkipPadding(length);
        return bytes;
    }

    /// <summary>A fixed <c>char x[N]</c> array into a new array.</summary>
    public byte[] ReadFixedCharArray(int length)
    {
        var bytes = new byte[length];
        ReadFixedCharArray(bytes);
        return bytes;
    }

    /// <summary>
    /// A variable-length <c>char x&lt;max&gt;</c> array: a count, then one 4-byte int per byte
    /// (libvirt's SASL tokens and security labels travel this way, protocol-facts §3).
    /// </summary>
    public byte[] ReadCharArray(int max)
    {
        var count = ReadArrayCount(max, 4);
        var result = new byte[count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = ReadByteAsInt32();
        }

        return result;
    }

    /// <summary>A fixed <c>char x[N]</c> array: N 4-byte ints, no count.</summary>
    public void ReadFixedCharArray(scoped Span<byte> destination)
    {
        if ((long)destination.Length * 4 > Remaining)
        {
            ThrowHelper.ThrowTruncated(destination.Length * 4, Remaining);
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = ReadByteAsInt32();
        }
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count) => Take(count);
}
