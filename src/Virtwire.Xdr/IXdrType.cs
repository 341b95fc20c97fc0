namespace Virtwire.Xdr;

/// <summary>Something that can size and write itself as XDR.</summary>
public interface IXdrWritable
{
    /// <summary>The exact number of bytes <see cref="Write"/> will produce.</summary>
    int GetSize();

    /// <summary>Writes the value; the writer must have <see cref="GetSize"/> bytes free.</summary>
    void Write(ref XdrWriter writer);
}

/// <summary>
/// An XDR type: generic code reads and writes it with no boxing and no virtual calls. The
/// source generator implements this for every <see cref="XdrStructAttribute"/> type.
/// </summary>
public interface IXdrType<TSelf> : IXdrWritable
    where TSelf : IXdrType<TSelf>
{
    /// <summary>Reads one value.</summary>
    /// <exception cref="XdrFormatException">The bytes are not a valid encoding.</exception>
    static abstract TSelf Read(ref XdrReader reader);
}

/// <summary>XDR <c>void</c>: encodes as nothing.</summary>
public sealed class XdrVoid : IXdrType<XdrVoid>
{
    /// <summary>The one instance.</summary>
    public static readonly XdrVoid Instance = new();

    private XdrVoid()
    {
    }

    public static XdrVoid Read(ref XdrReader reader) => Instance;

    public int GetSize() => 0;

    public void Write(ref XdrWriter writer)
    {
    }
}
