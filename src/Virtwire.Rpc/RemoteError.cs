using Virtwire.Xdr;

namespace Virtwire.Rpc;

/// <summary>
/// The error body of a failed reply (<c>remote_error</c>, protocol-facts §4.1), field for field.
/// The deprecated <c>dom</c> and <c>net</c> members are always sent absent and skipped on read.
/// </summary>
public sealed record RemoteError : IXdrType<RemoteError>
{
    public VirtErrorCode Code { get; init; }

    public VirtErrorDomain Domain { get; init; }

    public string? Message { get; init; }

    public VirtErrorLevel Level { get; init; } = VirtErrorLevel.Error;

    public string? Str1 { get; init; }

    public string? Str2 { get; init; }

    public string? Str3 { get; init; }

    public int Int1 { get; init; } = -1;

    public int Int2 { get; init; } = -1;

    /// <summary>
    /// An error shaped the way libvirtd fills one (protocol-facts §4.1): message is the full
    /// text, str1 the template for the code, str2 the detail.
    /// </summary>
    public static RemoteError Create(VirtErrorCode code, VirtErrorDomain domain, string message, string? template = null, string? detail = null) => new()
    {
        Code = code,
        Domain = domain,
        Message = message,
        Level = VirtErrorLevel.Error,
        Str1 = template,
        Str2 = detail,
    };

    /// <summary>libvirt's reply to a procedure number it does not know: clients turn exactly this shape into NO_SUPPORT.</summary>
    public static RemoteError UnknownProcedure(int procedure) =>
        Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, $"unknown procedure: {procedure}", "%s", $"unknown procedure: {procedure}");

    /// <summary>libvirt's reply to a call for a program or version it does not serve.</summary>
    public static RemoteError UnknownProgram(uint program, uint version) =>
        Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, $"Cannot find program {program} version {version}", "%s",
            $"Cannot find program {program} version {version}");

    /// <summary>libvirt's reply to a payload that fails to decode.</summary>
    public static RemoteError DecodeFailed() =>
        Create(VirtErrorCode.Rpc, VirtErrorDomain.Rpc, "Unable to decode message payload", "%s", "Unable to decode message payload");

    public static RemoteError Read(ref XdrReader reader)
    {
        var error = new RemoteError
        {
            Code = (VirtErrorCode)reader.ReadInt32(),
            Domain = (VirtErrorDomain)reader.ReadInt32(),
            Message = reader.ReadOptionalString(RpcLimits.MaxString),
            Level = (VirtErrorLevel)reader.ReadInt32(),
        };
        SkipOptionalHandle(ref reader, hasId: true);
        error = error with
        {
            Str1 = reader.ReadOptionalString(RpcLimits.MaxString),
            Str2 = reader.ReadOptionalString(RpcLimits.MaxString),
            Str3 = reader.ReadOptionalString(RpcLimits.MaxString),
            Int1 = reader.ReadInt32(),
            Int2 = reader.ReadInt32(),
        };
        SkipOptionalHandle(ref reader, hasId: false);
        return error;
    }

    // remote_domain is { name; uuid; id }, remote_network is { name; uuid }.
    private static void SkipOptionalHandle(ref XdrReader reader, bool hasId)
    {
        if (!reader.ReadPresence())
        {
            return;
        }

        reader.ReadOpaqueSpan(RpcLimits.MaxString);
        reader.Skip(XdrUuid.Size);
        if (hasId)
        {
            reader.ReadInt32();
        }
    }

    public int GetSize() =>
        (4 * 3) + XdrSize.OptionalString(Message) + 4 + XdrSize.OptionalString(Str1) + XdrSize.OptionalString(Str2) +
        XdrSize.OptionalString(Str3) + (4 * 2) + 4;

    public void Write(ref XdrWriter writer)
    {
        writer.WriteInt32((int)Code);
        writer.WriteInt32((int)Domain);
        writer.WriteOptionalString(Message, RpcLimits.MaxString);
        writer.WriteInt32((int)Level);
        writer.WritePresence(false);
        writer.WriteOptionalString(Str1, RpcLimits.MaxString);
        writer.WriteOptionalString(Str2, RpcLimits.MaxString);
        writer.WriteOptionalString(Str3, RpcLimits.MaxString);
        writer.WriteInt32(Int1);
        writer.WriteInt32(Int2);
        writer.WritePresence(false);
    }
}
