using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Virtwire.Drivers.Test;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Server;
using Virtwire.Xdr;

namespace Virtwire.Benchmarks;

/// <summary>
/// The daemon's dispatch path without sockets: a received DOMAIN_GET_INFO / CONNECT_GET_LIB_VERSION payload through
/// the remote server's gates and generated dispatch into the test driver, and the reply encoded into a frame — what
/// the server does per call between reading a packet and writing its reply.
/// Run: dotnet run -c Release --project bench/Virtwire.Benchmarks -- --filter '*Dispatch*'
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private readonly byte[] _frame = new byte[64 * 1024];
    private RemoteServer _server = null!;
    private RpcServerConnection _connection = null!;
    private RpcHeader _getInfo;
    private RpcHeader _libVersion;
    private byte[] _getInfoArgs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new RemoteServer([new TestDriver()], NullLoggerFactory.Instance);
        _connection = new RpcServerConnection(new MemoryStream(), _server);
        _connection.State = new ClientSession(_connection, readOnlySocket: false);
        Call(RemoteProgram.Numbers.ConnectOpen, XdrCodec.Encode(new ConnectOpenArgs { Name = "test:///default" }));
        var domain = XdrCodec.Decode<DomainRet>(
            XdrCodec.Encode(Call(RemoteProgram.Numbers.DomainLookupByName, XdrCodec.Encode(new StringArgs { Value = "test" }))));
        _getInfoArgs = XdrCodec.Encode(new DomainArgs { Dom = domain.Dom });
        _getInfo = Header(RemoteProgram.Numbers.DomainGetInfo);
        _libVersion = Header(RemoteProgram.Numbers.ConnectGetLibVersion);
    }

    [Benchmark]
    public int DomainGetInfo() => Dispatch(_getInfo, _getInfoArgs);

    [Benchmark]
    public int ConnectGetLibVersion() => Dispatch(_libVersion, []);

    private int Dispatch(in RpcHeader header, byte[] args)
    {
        var task = _server.HandleCallAsync(_connection, header, args, CancellationToken.None);
        var result = task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
        return RpcFrameWriter.Write(_frame, header.ToReply(RpcStatus.Ok), result);
    }

    private static RpcHeader Header(int procedure) =>
        new(RemoteProgram.Program, RemoteProgram.Version, procedure, RpcMessageType.Call, 1, RpcStatus.Ok);

    private IXdrWritable Call(int procedure, byte[] args) =>
        _server.HandleCallAsync(_connection, Header(procedure), args, CancellationToken.None).AsTask().GetAwaiter().GetResult();
}
