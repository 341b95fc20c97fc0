using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Virtwire.Xdr;

/// <summary>
/// libvirt's 16-byte UUID (<c>opaque[16]</c>), kept in wire byte order. Formats as the
/// lower-case 8-4-4-4-12 string libvirt prints; parses with or without dashes.
/// </summary>
public readonly struct XdrUuid : IXdrType<XdrUuid>, IEquatable<XdrUuid>, ISpanFormattable
{
    /// <summary>Size on the wire.</summary>
    public const int Size = 16;

    private readonly ulong _high;
    private readonly ulong _low;

    public XdrUuid(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("a UUID is 16 bytes", nameof(bytes));
        }

        _high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
    }

    /// <summary>The all-zero UUID.</summary>
    public static XdrUuid Empty => default;

    public static XdrUuid NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Size];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new XdrUuid(bytes);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
    }

    public byte[] ToByteArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    public static XdrUuid Read(ref XdrReader reader)
    {
        Span<byte> bytes = stackalloc byte[Size];
        reader.ReadFixedOpaque(bytes);
        return new XdrUuid(bytes);
    }

    public int GetSize() => Size;

    public void Write(ref XdrWriter writer)
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        writer.WriteFixedOpaque(bytes, Size);
    }

    /// <summary>Parses "6695eb01-f6a4-8304-79aa-97f2502e193f" or the same 32 hex digits without dashes.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out XdrUuid uuid)
    {
        uuid = default;
        if (text is null)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        var n = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '-' or ' ')
            {
                i++;
                continue;
            }

            if (n == Size || i + 1 >= text.Length ||
                !byte.TryParse(text.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out bytes[n]))
            {
                return false;
            }

            n++;
            i += 2;
        }

        if (n != Size)
        {
            return false;
        }

        uuid = new XdrUuid(bytes);
        return true;
    }

    public static XdrUuid Parse(string text) =>
        TryParse(text, out var uuid) ? uuid : throw new FormatException($"'{text}' is not a UUID");

    public bool Equals(XdrUuid other) => _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is XdrUuid other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low);

    public static bool operator ==(XdrUuid left, XdrUuid right) => left.Equals(right);

    public static bool operator !=(XdrUuid left, XdrUuid right) => !left.Equals(right);

    public override string ToString() => ToString(null, null);

    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> chars = stackalloc char[36];
        TryFormat(chars, out _, default, null);
        return new string(chars);
    }

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < 36)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        const string Hex = "0123456789abcdef";
        var o = 0;
        for (var i = 0; i < Size; i++)
        {
            if (i is 4 or 6 or 8 or 10)
            {
                destination[o++] = '-';
            }

            destination[o++] = Hex[bytes[i] >> 4];
            destination[o++] = Hex[bytes[i] & 0xF];
        }

        charsWritten = 36;
        return true;
    }
}
