using System.Buffers;
using System.Buffers.Binary;
using Virtwire.Rpc;
using Virtwire.TestKit.Captures;
using Virtwire.Xdr;

namespace Virtwire.Rpc.Tests;

public sealed class FrameScannerTests
{
    private static byte[] Frame(int procedure, uint serial, byte[] payload)
    {
        var bytes = new byte[RpcFrameWriter.FrameSize(payload.Length)];
        RpcFrameWriter.WriteRaw(bytes, new RpcHeader(0x20008086, 1, procedure, RpcMessageType.Call, serial, RpcStatus.Ok), payload);
        return bytes;
    }

    public static TheoryData<uint> BadLengths()
    {
        var data = new TheoryData<uint>();
        for (uint i = 0; i < RpcLimits.MinFrameLength; i++)
        {
            data.Add(i);
        }

        data.Add(RpcLimits.MaxFrameLength + 1);
        data.Add(uint.MaxValue);
        data.Add(0x80000000);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadLengths))]
    public void ImpossibleLength_IsInvalidData_BeforeAnyPayloadArrives(uint length)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, length);
        var buffer = new ReadOnlySequence<byte>(word);
        var status = RpcFrameScanner.TryRead(ref buffer, RpcLimits.MaxMessageSize, out _, out _, out var error);
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Contains("packet length", error);
    }

    [Fact]
    public void MaximumLength_IsAccepted_AndWaitsForTheBytes()
    {
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, RpcLimits.MaxFrameLength);
        var buffer = new ReadOnlySequence<byte>(word);
        Assert.Equal(OperationStatus.NeedMoreData, RpcFrameScanner.TryRead(ref buffer, RpcLimits.MaxMessageSize, out _, out var length, out _));
        Assert.Equal(RpcLimits.MaxFrameLength, length);
    }

    [Fact]
    public void TruncatedFrame_NeedsMoreData_AtEveryPrefix()
    {
        var frame = Frame(3, 7, [0, 0, 0, 1]);
        for (var i = 0; i < frame.Length; i++)
        {
            var buffer = new ReadOnlySequence<byte>(frame, 0, i);
            Assert.Equal(OperationStatus.NeedMoreData, RpcFrameScanner.TryRead(ref buffer, RpcLimits.MaxMessageSize, out _, out _, out _));
        }
    }

    [Fact]
    public void SeveralFrames_SplitAcrossSegments_AreEachFound()
    {
        var all = Frame(1, 0, []).Concat(Frame(2, 1, [1, 2, 3, 4])).Concat(Frame(3, 2, new byte[40])).ToArray();
        var buffer = Virtwire.Fuzz.Segments.Split(all, [5]);
        var serials = new List<uint>();
        while (RpcFrameScanner.TryRead(ref buffer, RpcLimits.MaxMessageSize, out var packet, out _, out _) == OperationStatus.Done)
        {
            var frame = RpcFrameScanner.Parse(packet.ToArray());
            serials.Add(frame.Header.Serial);
        }

        Assert.Equal([0u, 1u, 2u], serials);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void EveryCapturedFrame_IsFramedAndHeaderRoundTrips()
    {
        foreach (var capture in CaptureFile.Names)
        {
            foreach (var frame in CaptureFile.Load(capture))
            {
                var buffer = new ReadOnlySequence<byte>(frame.Bytes);
                Assert.Equal(OperationStatus.Done, RpcFrameScanner.TryRead(ref buffer, RpcLimits.MaxMessageSize, out var packet, out _, out _));
                var parsed = RpcFrameScanner.Parse(packet.ToArray());
                Assert.True(parsed.Header.IsKnownType && parsed.Header.IsKnownStatus);
                var header = new byte[RpcLimits.HeaderSize];
                parsed.Header.Write(header);
                Assert.Equal(frame.Bytes[4..28], header);
            }
        }
    }

    [Fact]
    public void FrameWriter_MatchesTheDocumentedKeepalivePing()
    {
        var ping = RpcFrameWriter.ToArray(new RpcHeader(0x6b656570, 1, 1, RpcMessageType.Message, 0, RpcStatus.Ok), XdrVoid.Instance);
        Assert.Equal(Convert.FromHexString("0000001c6b656570000000010000000100000002000000000000000000000000"[..56]), ping);
    }

    [Fact]
    public void RemoteError_UnknownProcedure_HasLibvirtsShape()
    {
        var error = XdrCodec.Decode<RemoteError>(XdrCodec.Encode(RemoteError.UnknownProcedure(999)));
        Assert.Equal(VirtErrorCode.Rpc, error.Code);
        Assert.Equal(VirtErrorDomain.Rpc, error.Domain);
        Assert.Equal("unknown procedure: 999", error.Message);
    }
}
