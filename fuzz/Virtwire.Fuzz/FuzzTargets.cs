using Virtwire.Fuzz.Targets;

namespace Virtwire.Fuzz;

/// <summary>Every fuzz target, one per layer, selected by name on the command line.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("frame", "RpcFrameScanner.TryRead and RpcFrameScanner.Parse over a byte stream, whole and in segments", FrameTarget.Run),
        new("header", "RpcHeader.Read, then the payload decoded as the header says (call, reply, error, event)", HeaderTarget.Run),
        new("body", "XdrCodec.Decode of every args and result type in the procedure table, chosen by the first 2 bytes", BodyTarget.Run),
        new("typed-params", "RemoteTypedParam.Read over an XDR array of typed parameters, with value conversion", TypedParamsTarget.Run),
        new("domain-xml", "The test driver's domain XML parser and QemuDomainDefinition.Parse, each with a dump and re-parse", DomainXmlTarget.Run),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
