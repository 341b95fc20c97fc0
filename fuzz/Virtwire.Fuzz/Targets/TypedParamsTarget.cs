using System.Globalization;
using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Fuzz.Targets;

/// <summary>
/// The typed parameter decoder (<c>remote_typed_param</c>, the protocol's one hand-written union): the
/// input is an XDR array of typed parameters as domain stats, memory parameters and the like carry them.
/// Each accepted parameter must give its value as its .NET type, print, and round-trip.
/// </summary>
internal static class TypedParamsTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        RemoteTypedParam[] parameters;
        try
        {
            parameters = ReadArray(input);
        }
        catch (XdrFormatException)
        {
            return;
        }

        foreach (var parameter in parameters)
        {
            var value = parameter.Value;
            Invariant.Check(value.GetType() == ExpectedType(parameter.Type), $"{parameter.Type} gave a {value.GetType().Name}");
            _ = Convert.ToString(value, CultureInfo.InvariantCulture);
            _ = parameter.ToString();

            var encoded = XdrCodec.Encode(parameter);
            var reader = new XdrReader(encoded);
            var again = RemoteTypedParam.Read(ref reader);
            Invariant.Check(reader.Remaining == 0, $"GetSize() is {encoded.Length} but the parameter reads back from {reader.Position} bytes");
            Invariant.Check(again == parameter, $"typed parameter '{parameter.Field}' changes when re-encoded");
        }
    }

    // remote_typed_param params<REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX> and its siblings, as the generator reads such an array.
    private static RemoteTypedParam[] ReadArray(ReadOnlySpan<byte> input)
    {
        var reader = new XdrReader(input);
        var parameters = new RemoteTypedParam[reader.ReadArrayCount(RemoteLimits.TypedParams, 4)];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = RemoteTypedParam.Read(ref reader);
        }

        return parameters;
    }

    private static Type ExpectedType(TypedParamType type) => type switch
    {
        TypedParamType.Int => typeof(int),
        TypedParamType.UInt => typeof(uint),
        TypedParamType.LLong => typeof(long),
        TypedParamType.ULLong => typeof(ulong),
        TypedParamType.Double => typeof(double),
        TypedParamType.Boolean => typeof(bool),
        TypedParamType.String => typeof(string),
        _ => throw new FuzzInvariantException($"a parameter of unknown type {(int)type} was accepted"),
    };
}
