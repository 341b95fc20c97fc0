using System.Buffers;
using BenchmarkDotNet.Attributes;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Xdr;

namespace Virtwire.Benchmarks;

/// <summary>
/// Encode and decode of whole frames (length word, header, payload) for the messages issue 2 names:
/// a DOMAIN_GET_INFO call and reply, and a CONNECT_LIST_ALL_DOMAINS reply with 1,000 domains.
/// Run: dotnet run -c Release --project bench/Virtwire.Benchmarks -- --filter '*Codec*'
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private static readonly RpcHeader CallHeader = new(RemoteProgram.Program, RemoteProgram.Version, 16, RpcMessageType.Call, 42, RpcStatus.Ok);
    private static readonly RpcHeader ReplyHeader = CallHeader.ToReply(RpcStatus.Ok);

    private readonly byte[] _buffer = new byte[1 << 20];
    private DomainArgs _call = null!;
    private DomainGetInfoRet _reply = null!;
    private DomainListRet _list = null!;
    private byte[] _callFrame = null!;
    private byte[] _replyFrame = null!;
    private byte[] _listFrame = null!;

    [GlobalSetup]
    public void Setup()
    {
        var domain = new RemoteDomain { Name = "test", Uuid = XdrUuid.Parse("6695eb01-f6a4-8304-79aa-97f2502e193f"), Id = 1 };
        _call = new DomainArgs { Dom = domain };
        _reply = new DomainGetInfoRet { State = 1, MaxMem = 8388608, Memory = 2097152, NrVirtCpu = 2, CpuTime = 1795476842 };
        _list = new DomainListRet
        {
            Domains = Enumerable.Range(0, 1000).Select(i => new RemoteDomain { Name = $"domain-{i:D4}", Uuid = XdrUuid.NewRandom(), Id = i + 1 }).ToArray(),
            Count = 1000,
        };
        _callFrame = RpcFrameWriter.ToArray(CallHeader, _call);
        _replyFrame = RpcFrameWriter.ToArray(ReplyHeader, _reply);
        _listFrame = RpcFrameWriter.ToArray(ReplyHeader with { Procedure = 273 }, _list);
    }

    [Benchmark]
    public int EncodeGetInfoCall() => RpcFrameWriter.Write(_buffer, CallHeader, _call);

    [Benchmark]
    public int EncodeGetInfoReply() => RpcFrameWriter.Write(_buffer, ReplyHeader, _reply);

    [Benchmark]
    public int EncodeListAll1000Reply() => RpcFrameWriter.Write(_buffer, ReplyHeader, _list);

    [Benchmark]
    public DomainArgs DecodeGetInfoCall() => Decode<DomainArgs>(_callFrame);

    [Benchmark]
    public DomainGetInfoRet DecodeGetInfoReply() => Decode<DomainGetInfoRet>(_replyFrame);

    [Benchmark]
    public DomainListRet DecodeListAll1000Reply() => Decode<DomainListRet>(_listFrame);

    private static T Decode<T>(byte[] frame)
        where T : IXdrType<T>
    {
        var sequence = new ReadOnlySequence<byte>(frame);
        RpcFrameScanner.TryRead(ref sequence, RpcLimits.MaxMessageSize, out var packet, out _, out _);
        var parsed = RpcFrameScanner.Parse(packet.First);
        return XdrCodec.Decode<T>(parsed.Payload.Span);
    }
}
