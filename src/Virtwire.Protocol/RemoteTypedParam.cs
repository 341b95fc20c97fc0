using System.Globalization;
using Virtwire.Xdr;

namespace Virtwire.Protocol;

/// <summary>The discriminant of a typed parameter's value (<c>virTypedParameterType</c>).</summary>
public enum TypedParamType
{
    Int = 1,
    UInt = 2,
    LLong = 3,
    ULLong = 4,
    Double = 5,
    Boolean = 6,
    String = 7,
}

/// <summary>
/// A named, typed value (<c>remote_typed_param</c>): a field name, then a discriminated union over
/// <see cref="TypedParamType"/> (protocol-facts §3.2). There is no default arm: an unknown
/// discriminant is malformed input. The union is written by hand; it is the protocol's only one.
/// </summary>
public sealed record RemoteTypedParam : IXdrType<RemoteTypedParam>
{
    /// <summary>Field names are at most 79 bytes (VIR_TYPED_PARAM_FIELD_LENGTH 80 with its NUL).</summary>
    public const int MaxFieldLength = 80;

    private RemoteTypedParam(string field, TypedParamType type, long integer, double real, string? text)
    {
        Field = field;
        Type = type;
        Integer = integer;
        Real = real;
        Text = text;
    }

    public string Field { get; }

    public TypedParamType Type { get; }

    /// <summary>The value for Int, UInt, LLong, ULLong (as its bit pattern) and Boolean.</summary>
    public long Integer { get; }

    public double Real { get; }

    public string? Text { get; }

    public static RemoteTypedParam FromInt(string field, int value) => new(field, TypedParamType.Int, value, 0, null);

    public static RemoteTypedParam FromUInt(string field, uint value) => new(field, TypedParamType.UInt, value, 0, null);

    public static RemoteTypedParam FromLLong(string field, long value) => new(field, TypedParamType.LLong, value, 0, null);

    public static RemoteTypedParam FromULLong(string field, ulong value) => new(field, TypedParamType.ULLong, unchecked((long)value), 0, null);

    public static RemoteTypedParam FromDouble(string field, double value) => new(field, TypedParamType.Double, 0, value, null);

    public static RemoteTypedParam FromBoolean(string field, bool value) => new(field, TypedParamType.Boolean, value ? 1 : 0, 0, null);

    public static RemoteTypedParam FromString(string field, string value) => new(field, TypedParamType.String, 0, 0, value);

    /// <summary>The value boxed as its natural .NET type.</summary>
    public object Value => Type switch
    {
        TypedParamType.Int => (int)Integer,
        TypedParamType.UInt => (uint)Integer,
        TypedParamType.LLong => Integer,
        TypedParamType.ULLong => unchecked((ulong)Integer),
        TypedParamType.Double => Real,
        TypedParamType.Boolean => Integer != 0,
        _ => Text!,
    };

    public override string ToString() => $"{Field}={Convert.ToString(Value, CultureInfo.InvariantCulture)}";

    public static RemoteTypedParam Read(ref XdrReader reader)
    {
        var field = reader.ReadString(RemoteLimits.String);
        var type = (TypedParamType)reader.ReadInt32();
        return type switch
        {
            TypedParamType.Int => FromInt(field, reader.ReadInt32()),
            TypedParamType.UInt => FromUInt(field, reader.ReadUInt32()),
            TypedParamType.LLong => FromLLong(field, reader.ReadInt64()),
            TypedParamType.ULLong => FromULLong(field, reader.ReadUInt64()),
            TypedParamType.Double => FromDouble(field, reader.ReadDouble()),
            TypedParamType.Boolean => new RemoteTypedParam(field, TypedParamType.Boolean, reader.ReadInt32(), 0, null),
            TypedParamType.String => FromString(field, reader.ReadString(RemoteLimits.String)),
            _ => throw new XdrFormatException($"typed parameter '{field}' has unknown type {(int)type}"),
        };
    }

    public int GetSize() => XdrSize.String(Field) + 4 + Type switch
    {
        TypedParamType.LLong or TypedParamType.ULLong or TypedParamType.Double => 8,
        TypedParamType.String => XdrSize.String(Text!),
        _ => 4,
    };

    public void Write(ref XdrWriter writer)
    {
        writer.WriteString(Field, RemoteLimits.String);
        writer.WriteInt32((int)Type);
        switch (Type)
        {
            case TypedParamType.Int:
            case TypedParamType.Boolean:
                writer.WriteInt32((int)Integer);
                break;
            case TypedParamType.UInt:
                writer.WriteUInt32((uint)Integer);
                break;
            case TypedParamType.LLong:
            case TypedParamType.ULLong:
                writer.WriteInt64(Integer);
                break;
            case TypedParamType.Double:
                writer.WriteDouble(Real);
                break;
            default:
                writer.WriteString(Text!, RemoteLimits.String);
                break;
        }
    }
}
