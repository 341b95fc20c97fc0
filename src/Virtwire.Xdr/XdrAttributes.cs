namespace Virtwire.Xdr;

/// <summary>
/// Marks a <c>partial</c> record or class whose public properties, in declaration order, are
/// its XDR fields. The source generator implements <see cref="IXdrType{TSelf}"/> for it.
/// Property types: int, uint, long, ulong, double, bool, byte/ushort (widened to 4 bytes),
/// enums (as int), string, string? (optional string), byte[] (opaque), <see cref="XdrUuid"/>,
/// T[] of any of these or of another XDR type, and other XDR types (nullable = optional).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class XdrStructAttribute : Attribute
{
}

/// <summary>The declared maximum of a string, opaque or array field (<c>x&lt;max&gt;</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class XdrMaxAttribute(int max) : Attribute
{
    public int Max { get; } = max;
}

/// <summary>A fixed-length field (<c>x[N]</c>): opaque, char or array of exactly N.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class XdrFixedAttribute(int length) : Attribute
{
    public int Length { get; } = length;
}

/// <summary>
/// A <c>char</c> array field: a <c>byte[]</c> whose every byte takes 4 bytes on the wire
/// (with <see cref="XdrMaxAttribute"/> it is variable, with <see cref="XdrFixedAttribute"/> fixed).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class XdrCharArrayAttribute : Attribute
{
}

/// <summary>Optional data (<c>T *x</c>): a presence flag, then the value. Implied by a nullable type.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class XdrOptionalAttribute : Attribute
{
}

/// <summary>Excludes a property from the XDR encoding.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class XdrIgnoreAttribute : Attribute
{
}
