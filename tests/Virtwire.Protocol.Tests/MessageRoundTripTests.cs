using System.Reflection;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Protocol.Tests;

/// <summary>Every declared message type: random values encode, decode and encode again to the same bytes.</summary>
public sealed class MessageRoundTripTests
{
    public static TheoryData<string> MessageTypes()
    {
        var types = RemoteProgram.All
            .SelectMany(p => p.GetType().GetGenericArguments())
            .Where(t => t != typeof(XdrVoid))
            .Distinct()
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal);
        return new TheoryData<string>(types);
    }

    [Fact]
    public void EveryProcedure_IsDeclaredOnce_WithLibvirtsUpperSnakeName()
    {
        Assert.Equal(RemoteProgram.All.Count, RemoteProgram.All.Select(p => p.Number).Distinct().Count());
        Assert.Equal("DOMAIN_GET_XML_DESC", RemoteProgram.DomainGetXmlDesc.Name);
        Assert.Equal("CONNECT_GET_URI", RemoteProgram.ConnectGetUri.Name);
        Assert.Equal("AUTH_LIST", RemoteProgram.Find(66)!.Name);
        Assert.True(RemoteProgram.AuthList.AllowedBeforeAuth);
        Assert.False(RemoteProgram.DomainSuspend.AllowedReadOnly);
        Assert.True(RemoteProgram.DomainGetInfo.AllowedReadOnly);
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void RandomValues_RoundTripByteForByte(string typeName)
    {
        var type = typeof(RemoteProgram).Assembly.GetType(typeName)!;
        var random = new Random(typeName.GetHashCode(StringComparison.Ordinal));
        var method = typeof(MessageRoundTripTests).GetMethod(nameof(RoundTrip), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
        for (var i = 0; i < 200; i++)
        {
            var value = Build(type, random, depth: 0);
            method.Invoke(null, BindingFlags.DoNotWrapExceptions, null, [value], null);
        }
    }

    private static void RoundTrip<T>(T value)
        where T : IXdrType<T>
    {
        var bytes = XdrCodec.Encode(value);
        Assert.Equal(value.GetSize(), bytes.Length);
        var reader = new XdrReader(bytes);
        var decoded = T.Read(ref reader);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(bytes, XdrCodec.Encode(decoded));
        for (var cut = 0; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 7))
        {
            Assert.Throws<XdrFormatException>(() => XdrCodec.Decode<T>(bytes.AsSpan(0, cut)));
        }
    }

    private static object? Build(Type type, Random random, int depth, PropertyInfo? property = null)
    {
        var nullable = Nullable.GetUnderlyingType(type);
        if (nullable is not null)
        {
            return random.Next(2) == 0 ? null : Build(nullable, random, depth);
        }

        if (property is not null && !type.IsValueType && new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable && random.Next(3) == 0)
        {
            return null;
        }

        if (type == typeof(int)) return random.Next(int.MinValue, int.MaxValue);
        if (type == typeof(uint)) return (uint)random.NextInt64(0, uint.MaxValue);
        if (type == typeof(long)) return random.NextInt64(long.MinValue, long.MaxValue);
        if (type == typeof(ulong)) return (ulong)random.NextInt64(long.MinValue, long.MaxValue);
        if (type == typeof(double)) return random.NextDouble() * 1e6;
        if (type == typeof(bool)) return random.Next(2) == 1;
        if (type == typeof(byte)) return (byte)random.Next(256);
        if (type == typeof(ushort)) return (ushort)random.Next(65536);
        if (type.IsEnum) return Enum.ToObject(type, random.Next(0, 5));
        if (type == typeof(string)) return new string(Enumerable.Range(0, random.Next(12)).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray());
        if (type == typeof(XdrUuid))
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            return new XdrUuid(bytes);
        }

        if (type == typeof(RemoteTypedParam))
        {
            return random.Next(7) switch
            {
                0 => RemoteTypedParam.FromInt("a.b", random.Next()),
                1 => RemoteTypedParam.FromUInt("c", (uint)random.Next()),
                2 => RemoteTypedParam.FromLLong("d", random.NextInt64()),
                3 => RemoteTypedParam.FromULLong("e", (ulong)random.NextInt64()),
                4 => RemoteTypedParam.FromDouble("f", random.NextDouble()),
                5 => RemoteTypedParam.FromBoolean("g", random.Next(2) == 1),
                _ => RemoteTypedParam.FromString("h", "value"),
            };
        }

        if (type.IsArray)
        {
            var fixedLength = property?.GetCustomAttribute<XdrFixedAttribute>()?.Length;
            var element = type.GetElementType()!;
            var length = fixedLength ?? (depth > 2 ? 0 : random.Next(4));
            var array = Array.CreateInstance(element, length);
            for (var i = 0; i < length; i++)
            {
                array.SetValue(element == typeof(byte) ? (byte)random.Next(256) : Build(element, random, depth + 1), i);
            }

            return array;
        }

        var instance = Activator.CreateInstance(type)!;
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetCustomAttribute<XdrIgnoreAttribute>() is null))
        {
            p.SetValue(instance, Build(p.PropertyType, random, depth + 1, p));
        }

        return instance;
    }
}
