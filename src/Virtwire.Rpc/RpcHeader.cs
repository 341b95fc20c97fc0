using System.Buffers.Binary;

namespace Virtwire.Rpc;

/// <summary>The 24-byte header that follows the length word of every packet (protocol-facts §1.2).</summary>
public readonly record struct RpcHeader(uint Program, uint Version, int Procedure, RpcMessageType Type, uint Serial, RpcStatus Status)
{
    /// <summary>Reads a header from the first 24 bytes of <paramref name="source"/>.</summary>
    /// <remarks>Type and status are not range-checked here: the dispatcher answers unknown values as libvirt does.</remarks>
    public static RpcHeader Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32BigEndian(source),
        BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
        BinaryPrimitives.ReadInt32BigEndian(source[8..]),
        (RpcMessageType)BinaryPrimitives.ReadInt32BigEndian(source[12..]),
        BinaryPrimitives.ReadUInt32BigEndian(source[16..]),
        (RpcStatus)BinaryPrimitives.ReadInt32BigEndian(source[20..]));

    /// <summary>Writes the header into the first 24 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, Program);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Version);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], Procedure);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], (int)Type);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Serial);
        BinaryPrimitives.WriteInt32BigEndian(destination[20..], (int)Status);
    }

    /// <summary>The header of a reply to this call: same program, version, procedure and serial.</summary>
    public RpcHeader ToReply(RpcStatus status) => this with { Type = RpcMessageType.Reply, Status = status };

    public bool IsKnownType => (uint)Type <= (uint)RpcMessageType.StreamHole;

    public bool IsKnownStatus => (uint)Status <= (uint)RpcStatus.Continue;
}
