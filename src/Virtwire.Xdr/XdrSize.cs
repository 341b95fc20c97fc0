using System.Text;

namespace Virtwire.Xdr;

/// <summary>Encoded sizes, so that a message is sized once and written into one buffer.</summary>
public static class XdrSize
{
    public const int Int32 = 4;
    public const int Int64 = 8;

    /// <summary>Zero bytes needed to pad <paramref name="length"/> to a multiple of 4.</summary>
    public static int Padding(int length) => (4 - (length & 3)) & 3;

    public static int String(string value) => Opaque(Encoding.UTF8.GetByteCount(value));

    public static int OptionalString(string? value) => value is null ? 4 : 4 + String(value);

    public static int Opaque(int length) => 4 + length + Padding(length);

    public static int FixedOpaque(int length) => length + Padding(length);

    public static int CharArray(int length) => 4 + (4 * length);
}
