using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Fuzz.Targets;

/// <summary>
/// The header layer: the input is one packet without its length word, as the read loops hand it on.
/// The header must read and write back to the same bytes, and the payload is then decoded as the
/// header directs, the way the server dispatches a call and the client a reply or an event.
/// </summary>
internal static class HeaderTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        // The read loops refuse a packet shorter than a header before reading it (RpcFrameScanner.Parse).
        if (input.Length < RpcLimits.HeaderSize)
        {
            return;
        }

        var header = RpcHeader.Read(input);
        Span<byte> written = stackalloc byte[RpcLimits.HeaderSize];
        header.Write(written);
        Invariant.Check(written.SequenceEqual(input[..RpcLimits.HeaderSize]), "header does not write back to its bytes");
        var reply = header.ToReply(RpcStatus.Error);
        Invariant.Check(reply.Serial == header.Serial && reply.Procedure == header.Procedure && reply.Type == RpcMessageType.Reply,
            "a reply header does not answer its call");
        _ = header.ToString();

        if (header.Program != RemoteProgram.Program || header.Version != RemoteProgram.Version || !header.IsKnownType || !header.IsKnownStatus)
        {
            // Keepalive carries no body; other programs, versions, types and statuses are answered by number alone.
            return;
        }

        var payload = input[RpcLimits.HeaderSize..];
        var procedure = RemoteProgram.Find(header.Procedure);
        if (procedure is null)
        {
            return;
        }

        switch (header.Type, header.Status)
        {
            case (RpcMessageType.Call, _):
                BodyTypes.Find(BodyTypes.SelectorOf(procedure.Number, result: false))?.Decode(payload);
                break;
            case (RpcMessageType.Reply, RpcStatus.Ok):
                BodyTypes.Find(BodyTypes.SelectorOf(procedure.Number, result: true))?.Decode(payload);
                break;
            case (RpcMessageType.Reply, RpcStatus.Error):
                DecodeError(payload);
                break;
            case (RpcMessageType.Message, _) when procedure.Kind == RpcProcedureKind.Message:
                DecodeEvent(header.Procedure, payload);
                break;
        }
    }

    // What the client does with an error reply: decode it and raise it.
    private static void DecodeError(ReadOnlySpan<byte> payload)
    {
        RemoteError error;
        try
        {
            error = XdrCodec.Decode<RemoteError>(payload);
        }
        catch (XdrFormatException)
        {
            return;
        }

        _ = new RpcRemoteException(error).Message;
    }

    private static void DecodeEvent(int procedure, ReadOnlySpan<byte> payload)
    {
        try
        {
            _ = RemoteProgram.DecodeMessage(procedure, payload).ToString();
        }
        catch (XdrFormatException)
        {
            // A malformed event: the client logs and drops it.
        }
    }
}
