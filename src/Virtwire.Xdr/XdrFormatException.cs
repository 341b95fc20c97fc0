namespace Virtwire.Xdr;

/// <summary>
/// Thrown when bytes do not form valid XDR for the type being read: too short, a length
/// beyond its declared maximum or beyond the bytes that remain, a bad bool, enum or union
/// discriminant. Always means "the peer sent garbage", never "we have a bug".
/// </summary>
public sealed class XdrFormatException : FormatException
{
    public XdrFormatException(string message)
        : base(message)
    {
    }

    public XdrFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
