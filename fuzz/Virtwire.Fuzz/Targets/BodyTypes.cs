using System.Buffers.Binary;
using System.Reflection;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Fuzz.Targets;

/// <summary>Decodes a payload as one type and checks that what it accepted survives a re-encode.</summary>
internal delegate void BodyDecoder(ReadOnlySpan<byte> payload);

/// <summary>One message body type: an args or result type of a procedure, or the error body.</summary>
internal sealed record BodyType(ushort Selector, Type Type, string Label, BodyDecoder Decode);

/// <summary>
/// Every body type of the generated procedure table, keyed by a 2-byte selector: the low 15 bits are the
/// procedure number, the top bit picks the result type over the args type, and 0 is <c>remote_error</c>.
/// Selectors stay the same when procedures are added, so saved inputs keep their meaning.
/// </summary>
internal static class BodyTypes
{
    public const ushort ResultBit = 0x8000;

    private static readonly MethodInfo RoundTripMethod =
        typeof(BodyTypes).GetMethod(nameof(RoundTrip), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// Built once from <see cref="RemoteProgram.All"/> (no second table): each entry is an
    /// <c>RpcProcedure&lt;TArgs, TResult&gt;</c>, and a delegate per type is made once here so no input
    /// pays for reflection.
    /// </summary>
    public static IReadOnlyList<BodyType> All { get; } = Build();

    private static readonly Dictionary<ushort, BodyType> BySelector = All.ToDictionary(t => t.Selector);

    /// <summary>The selector of a procedure's args (<paramref name="result"/> false) or result type.</summary>
    public static ushort SelectorOf(int procedure, bool result) => (ushort)(procedure | (result ? ResultBit : 0));

    /// <summary>The type of exactly this selector; none for a void side or an unknown procedure.</summary>
    public static BodyType? Find(ushort selector) => BySelector.GetValueOrDefault(selector);

    /// <summary>
    /// The type a selector names; a selector naming no type (an unknown procedure, a void side) falls
    /// back to one by position, so random bytes still reach a decoder.
    /// </summary>
    public static BodyType Select(ReadOnlySpan<byte> selector)
    {
        var value = BinaryPrimitives.ReadUInt16BigEndian(selector);
        if ((value & ~ResultBit) == 0)
        {
            value = 0;
        }

        return BySelector.TryGetValue(value, out var type) ? type : All[value % All.Count];
    }

    private static List<BodyType> Build()
    {
        var types = new List<BodyType> { Create(0, typeof(RemoteError), "remote_error") };
        foreach (var procedure in RemoteProgram.All.OrderBy(p => p.Number))
        {
            var arguments = procedure.GetType().GetGenericArguments();
            if (arguments.Length != 2)
            {
                throw new InvalidOperationException($"{procedure} is not an RpcProcedure<TArgs, TResult>");
            }

            if (procedure.Number is <= 0 or >= ResultBit)
            {
                throw new InvalidOperationException($"{procedure} does not fit a 15-bit selector");
            }

            AddUnlessVoid(types, SelectorOf(procedure.Number, result: false), arguments[0], $"{procedure.Name} args");
            AddUnlessVoid(types, SelectorOf(procedure.Number, result: true), arguments[1], $"{procedure.Name} result");
        }

        return types;
    }

    private static void AddUnlessVoid(List<BodyType> types, ushort selector, Type type, string label)
    {
        if (type != typeof(XdrVoid))
        {
            types.Add(Create(selector, type, label));
        }
    }

    private static BodyType Create(ushort selector, Type type, string label) =>
        new(selector, type, label, RoundTripMethod.MakeGenericMethod(type).CreateDelegate<BodyDecoder>());

    /// <summary>
    /// Decodes; malformed XDR must fail with <see cref="XdrFormatException"/> and nothing else. Anything
    /// accepted must encode (GetSize and Write agreeing), and the encoding must decode, using every byte
    /// and no more, to a value that encodes to the same bytes. A failure after the first decode is ours,
    /// not the peer's, so nothing is caught there.
    /// </summary>
    private static void RoundTrip<T>(ReadOnlySpan<byte> payload)
        where T : IXdrType<T>
    {
        T value;
        try
        {
            value = XdrCodec.Decode<T>(payload);
        }
        catch (XdrFormatException)
        {
            // The peer sent garbage: the server answers "Unable to decode message payload".
            return;
        }

        var encoded = XdrCodec.Encode(value);
        var reader = new XdrReader(encoded);
        var again = T.Read(ref reader);
        Invariant.Check(reader.Remaining == 0, $"{typeof(T).Name}: GetSize() is {encoded.Length} but the value reads back from {reader.Position} bytes");
        Invariant.Check(XdrCodec.Encode(again).AsSpan().SequenceEqual(encoded), $"{typeof(T).Name}: re-encoding a decoded value changes its bytes");
    }
}
