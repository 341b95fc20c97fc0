using System.Reflection;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.TestKit.Captures;
using Virtwire.Xdr;

namespace Virtwire.Protocol.Tests;

/// <summary>Every frame of every real capture decodes to its typed message and re-encodes to the same bytes.</summary>
public sealed class CaptureTests
{
    public static TheoryData<string> Captures => new(CaptureFile.Names);

    [Fact]
    public void Captures_AreAllPresent() =>
        Assert.Equal(["define-undefine", "destroy-start", "dominfo", "events", "list-all", "python-listall"], CaptureFile.Names);

    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryFrame_DecodesAndReencodesByteForByte(string capture)
    {
        var frames = CaptureFile.Load(capture);
        Assert.NotEmpty(frames);
        foreach (var frame in frames)
        {
            var reencoded = Reencode(frame);
            Assert.True(frame.Payload.Span.SequenceEqual(reencoded), $"{frame}: re-encoded payload differs");

            var header = frame.Header;
            var rebuilt = new byte[RpcLimits.MinFrameLength + reencoded.Length];
            RpcFrameWriter.WriteRaw(rebuilt, header, reencoded);
            Assert.Equal(frame.Bytes, rebuilt);
        }
    }

    [Fact]
    public void ListAll_ReplyCarriesTheDefaultTestDomain()
    {
        var reply = CaptureFile.Load("list-all").Single(f => f.Header is { Procedure: 273, Type: RpcMessageType.Reply });
        var ret = XdrCodec.Decode<DomainListRet>(reply.Payload.Span);
        var domain = Assert.Single(ret.Domains);
        Assert.Equal("test", domain.Name);
        Assert.Equal(1, domain.Id);
        Assert.Equal("6695eb01-f6a4-8304-79aa-97f2502e193f", domain.Uuid.ToString());
        Assert.Equal(1u, ret.Count);
    }

    [Fact]
    public void DomInfo_ReplyMatchesVirshOutput()
    {
        var reply = CaptureFile.Load("dominfo").Single(f => f.Header is { Procedure: 16, Type: RpcMessageType.Reply });
        var info = XdrCodec.Decode<DomainGetInfoRet>(reply.Payload.Span);
        Assert.Equal((byte)DomainState.Running, info.State);
        Assert.Equal(8388608ul, info.MaxMem);
        Assert.Equal(2097152ul, info.Memory);
        Assert.Equal((ushort)2, info.NrVirtCpu);

        var model = CaptureFile.Load("dominfo").Single(f => f.Header is { Procedure: 122, Type: RpcMessageType.Reply });
        var security = XdrCodec.Decode<NodeGetSecurityModelRet>(model.Payload.Span);
        Assert.Equal("testSecurity\0"u8.ToArray(), security.Model);
    }

    [Fact]
    public void FailedLookup_CarriesLibvirtsErrorShape()
    {
        var reply = CaptureFile.Load("python-listall").Single(f => f.Header is { Procedure: 23, Status: RpcStatus.Error });
        var error = XdrCodec.Decode<RemoteError>(reply.Payload.Span);
        Assert.Equal(VirtErrorCode.NoDomain, error.Code);
        Assert.Equal(VirtErrorDomain.Test, error.Domain);
        Assert.Equal(VirtErrorLevel.Error, error.Level);
        Assert.StartsWith("Domain not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_LifecycleMessagesDecode()
    {
        var events = CaptureFile.Load("events")
            .Where(f => f.Header is { Procedure: 318, Type: RpcMessageType.Message })
            .Select(f => (DomainEventCallbackLifecycleMsg)RemoteProgram.DecodeMessage(318, f.Payload.Span))
            .Select(m => ((DomainLifecycleEvent)m.Msg.Event, m.Msg.Detail))
            .ToArray();
        Assert.Equal(
            [
                (DomainLifecycleEvent.Suspended, (int)DomainEventSuspendedDetail.Paused),
                (DomainLifecycleEvent.Resumed, (int)DomainEventResumedDetail.Unpaused),
                (DomainLifecycleEvent.Stopped, (int)DomainEventStoppedDetail.Destroyed),
                (DomainLifecycleEvent.Started, (int)DomainEventStartedDetail.Booted),
            ],
            events);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void TruncatedPayloads_FailWithXdrFormatExceptionOnly(string capture)
    {
        foreach (var frame in CaptureFile.Load(capture))
        {
            for (var length = 0; length < frame.Payload.Length; length++)
            {
                var truncated = frame with { Bytes = frame.Bytes[..(RpcLimits.MinFrameLength + length)] };
                try
                {
                    Reencode(truncated);
                }
                catch (XdrFormatException)
                {
                    // The only acceptable failure.
                }
            }
        }
    }

    /// <summary>Decodes the payload as the type its header implies and encodes it again.</summary>
    internal static byte[] Reencode(CapturedFrame frame)
    {
        var header = frame.Header;
        var payload = frame.Payload.ToArray();
        if (header.Program == 0x6b656570)
        {
            Assert.Equal(RpcMessageType.Message, header.Type);
            Assert.True(header.Procedure is 1 or 2, $"{frame}: unknown keepalive procedure");
            Assert.Empty(payload);
            return payload;
        }

        Assert.Equal(RemoteProgram.Program, header.Program);
        Assert.Equal(RemoteProgram.Version, header.Version);
        var procedure = RemoteProgram.Find(header.Procedure);
        Assert.True(procedure is not null, $"{frame}: procedure {header.Procedure} is not declared");
        var types = procedure!.GetType().GetGenericArguments();
        var type = header switch
        {
            { Type: RpcMessageType.Call or RpcMessageType.Message } => types[0],
            { Type: RpcMessageType.Reply, Status: RpcStatus.Ok } => types[1],
            { Type: RpcMessageType.Reply, Status: RpcStatus.Error } => typeof(RemoteError),
            _ => throw new InvalidOperationException($"{frame}: unexpected type {header.Type}/{header.Status}"),
        };

        return (byte[])RoundTripMethod.MakeGenericMethod(type).Invoke(null, BindingFlags.DoNotWrapExceptions, null, [payload], null)!;
    }

    private static readonly MethodInfo RoundTripMethod =
        typeof(CaptureTests).GetMethod(nameof(RoundTrip), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static byte[] RoundTrip<T>(byte[] payload)
        where T : IXdrType<T>
    {
        var reader = new XdrReader(payload);
        var value = T.Read(ref reader);
        Assert.Equal(0, reader.Remaining);
        return XdrCodec.Encode(value);
    }
}
